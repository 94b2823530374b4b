"""Reads of the pack station: a shipment's lines with the codes that name their products, what a
scanned code names, and the shipping steps of a packed shipment (quotes, labels, handing over)."""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Upper

from inventory.models import KitComponent, Product
from orders.exceptions import OrderError
from orders.models import Order, Parcel, ParcelItem, PickList, Shipment, ShipmentLine
from orders.shipping.carriers import adapter_for
from orders.shipping.rates import Quote, rate_choose, rate_quotes
from orders.states import ShipmentStatus

# --- the pack station -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackPart:
    """A component of a kit line: scanning it counts towards a whole kit."""

    product_id: int
    sku: str
    name: str
    barcode: str
    per_kit: int


@dataclass(frozen=True)
class PackLine:
    """A shipment line as the pack station checks it."""

    id: int
    product_id: int
    sku: str
    name: str
    barcode: str
    quantity: int
    picked_quantity: int
    # Grams per unit (a kit: its own weight, else its components' together).
    unit_weight_grams: int
    # A kit's components; empty for a product of its own.
    parts: tuple[PackPart, ...] = ()


def pack_lines(*, shipment_id: int) -> list[PackLine]:
    """The lines of a shipment with the codes that identify their products (two queries)."""
    rows = list(
        ShipmentLine.objects.filter(shipment_id=shipment_id)
        .select_related("order_line__product")
        .order_by("order_line__position", "pk")
    )
    kit_ids = [row.order_line.product_id for row in rows if row.order_line.product.is_kit]
    components: dict[int, list[KitComponent]] = defaultdict(list)
    for component in (
        KitComponent.objects.filter(kit_id__in=kit_ids).select_related("component").order_by("component__sku")
    ):
        components[component.kit_id].append(component)
    lines = []
    for row in rows:
        product = row.order_line.product
        parts = tuple(
            PackPart(c.component_id, c.component.sku, c.component.name, c.component.barcode, c.quantity)
            for c in components.get(product.pk, ())
        )
        weight = _grams(product.weight_kg)
        if product.is_kit and not weight:
            weight = sum(_grams(c.component.weight_kg) * c.quantity for c in components.get(product.pk, ()))
        lines.append(
            PackLine(
                id=row.pk,
                product_id=product.pk,
                sku=row.order_line.sku,
                name=row.order_line.name,
                barcode=product.barcode,
                quantity=row.quantity,
                picked_quantity=row.picked_quantity,
                unit_weight_grams=weight,
                parts=parts,
            )
        )
    return lines


def _grams(kilograms) -> int:
    return int((kilograms * 1000).to_integral_value())


def shipment_for_packing(*, shipment_id: int) -> Shipment | None:
    """A shipment with its order, warehouse, carrier service and parcels (with their items)."""
    return (
        Shipment.objects.filter(pk=shipment_id)
        .select_related("order", "warehouse", "service__carrier")
        .prefetch_related(
            Prefetch(
                "parcels",
                queryset=Parcel.objects.select_related("service__carrier").prefetch_related(
                    Prefetch("items", queryset=_parcel_items())
                ),
            ),
            Prefetch("pick_lists", queryset=PickList.objects.order_by("-id")),
        )
        .first()
    )


def _parcel_items() -> QuerySet[ParcelItem]:
    return ParcelItem.objects.select_related("shipment_line__order_line").order_by(
        "shipment_line__order_line__position"
    )


def product_by_code(*, code: str) -> Product | None:
    """The product a scanned code names: its barcode, else its SKU (without regard to case)."""
    code = code.strip()
    if not code:
        return None
    found = Product.objects.filter(barcode=code).first() if code.isdigit() else None
    return found or Product.objects.annotate(sku_key=Upper("sku")).filter(sku_key=code.upper()).first()


@dataclass
class PackTarget:
    """What a code scanned at the start of packing names: a pick list, an order or one shipment, and
    its ready shipments (each with `is_packed` and `has_unpicked`)."""

    code: str
    pick_list: PickList | None = None
    order: Order | None = None
    shipments: list[Shipment] | None = None

    @property
    def found(self) -> bool:
        return self.pick_list is not None or self.order is not None

    @property
    def to_pack(self) -> list[Shipment]:
        """The shipments to pack now: not packed yet and, from a confirmed pick list, picked in full
        (the others went back to the queue). An order's own shipments may be packed unpicked: their
        units leave the bins when they ship."""
        shipments = [shipment for shipment in self.shipments or [] if not shipment.is_packed]
        if self.pick_list is not None and self.pick_list.status == PickList.Status.DONE:
            shipments = [shipment for shipment in shipments if not shipment.has_unpicked]
        return shipments


# "SO-2026-000123/2": the second shipment of an order (as a packing slip or a pick list prints it).
_SHIPMENT_CODE = re.compile(r"^(?P<number>.+)/(?P<position>\d+)$")


def pack_target(*, code: str) -> PackTarget:
    """Look a scanned pick list number, order number or shipment ("SO-2026-000123/2") up."""
    code = code.strip()
    target = PackTarget(code=code)
    if not code:
        return target
    packable = Shipment.objects.filter(status=ShipmentStatus.READY).annotate(
        is_packed=Exists(Parcel.objects.filter(shipment_id=OuterRef("pk"))),
        has_unpicked=Exists(ShipmentLine.objects.filter(shipment_id=OuterRef("pk"), picked_quantity__lt=F("quantity"))),
    )
    pick_list = PickList.objects.filter(number__iexact=code).first()
    if pick_list is not None:
        target.pick_list = pick_list
        target.shipments = list(
            packable.filter(pick_lists=pick_list).select_related("order").order_by("-priority", "created_at", "id")
        )
        return target
    match = _SHIPMENT_CODE.match(code)
    number, position = (match["number"], int(match["position"])) if match else (code, None)
    order = Order.objects.filter(number__iexact=number).first()
    if order is None:
        return target
    target.order = order
    shipments = packable.filter(order=order).select_related("order", "warehouse").order_by("position")
    if position is not None:
        shipments = shipments.filter(position=position)
    target.shipments = list(shipments)
    return target


# --- after packing: carrier service, labels, handing over --------------------------------------------


@dataclass
class ShippingState:
    """What the pack station offers once a shipment is packed."""

    shipment: Shipment
    parcels: list[Parcel]
    # Rate quotes of the services that can take the parcels (cheapest first), and the one rate
    # shopping would choose; empty once labels exist or for a pick-up.
    quotes: list[Quote] = field(default_factory=list)
    suggested_service_id: int | None = None
    can_choose_service: bool = False
    # Parcels that still need a label (the service's carrier makes labels), or a typed tracking
    # number (a manual carrier).
    to_label: list[Parcel] = field(default_factory=list)
    to_track: list[Parcel] = field(default_factory=list)
    # A label is being made by a worker: the page follows it.
    is_pending: bool = False
    can_ship: bool = False


def shipping_state(*, shipment: Shipment) -> ShippingState:
    """The shipping steps of a packed shipment (its parcels prefetched by shipment_for_packing)."""
    parcels = list(shipment.parcels.all())
    packed = [p for p in parcels if p.status == Parcel.Status.PACKED]
    state = ShippingState(shipment=shipment, parcels=parcels)
    if shipment.status != ShipmentStatus.READY or not packed:
        return state
    labelled = [p for p in packed if p.label_status in (Parcel.LabelStatus.PENDING, Parcel.LabelStatus.CREATED)]
    state.is_pending = any(p.label_status == Parcel.LabelStatus.PENDING for p in packed)
    state.can_choose_service = not shipment.is_pickup and not labelled and not any(p.tracking_number for p in packed)
    if state.can_choose_service:
        try:
            state.quotes = rate_quotes(shipment_id=shipment.pk)
        except OrderError:
            # No carrier can quote now: staff choose a service on the order page or try again.
            state.quotes = []
        chosen = rate_choose(state.quotes, shipment.promised_date)
        state.suggested_service_id = chosen.service_id if chosen else None
    service = shipment.service
    if shipment.is_pickup:
        state.can_ship = True
    elif service is not None:
        if adapter_for(service.carrier).creates_labels:
            state.to_label = [p for p in packed if p.label_status not in labelled_statuses()]
            state.can_ship = all(p.label_status == Parcel.LabelStatus.CREATED for p in packed)
        else:
            state.to_track = [p for p in packed if not p.tracking_number]
            state.can_ship = not state.to_track
    return state


def labelled_statuses() -> tuple[str, str]:
    return (Parcel.LabelStatus.PENDING, Parcel.LabelStatus.CREATED)


def parcel_ids_to_label(*, shipment_id: int) -> list[int]:
    """The packed parcels of a shipment without a label made or being made."""
    return list(
        Parcel.objects.filter(shipment_id=shipment_id, status=Parcel.Status.PACKED)
        .exclude(label_status__in=labelled_statuses())
        .order_by("position")
        .values_list("pk", flat=True)
    )
