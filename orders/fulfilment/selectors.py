"""Reads of fulfilment: a warehouse's queue of shipments, its pick lists, and where to pick from (the
pack station's reads are in orders.fulfilment.pack_selectors)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import BinStock, KitComponent, Warehouse
from inventory.services import StockLine
from orders.models import CarrierService, Parcel, PickLine, PickList, Shipment, ShipmentLine
from orders.states import ShipmentStatus

QUEUE_PAGE_SIZE = 50
ON_PICK_LIST = PickList.shipments.through


class Stage:
    """Where a queued shipment stands: its units still to pick, picked and waiting to be packed, or
    packed and waiting for its label and the carrier."""

    PICK = "pick"
    PACK = "pack"
    SHIP = "ship"
    choices = [(PICK, "To pick"), (PACK, "To pack"), (SHIP, "Packed, to ship")]
    labels = dict(choices)


@dataclass(frozen=True)
class QueueFilters:
    carrier_id: int | None = None
    service_id: int | None = None
    # Shipments without a carrier service yet (rate shopping has not chosen one).
    no_service: bool = False
    priority: int | None = None
    # Only shipments waiting at least this long.
    older_than: timedelta | None = None
    # One of Stage; blank: every stage.
    stage: str = Stage.PICK


@dataclass
class QueuePage:
    shipments: list[Shipment]
    # The id of the page's last shipment when more follow: the `after` of the next page.
    next_after: int | None
    # How many shipments of the queue (with the filters other than the stage) stand at each stage.
    stage_counts: dict[str, int]


def _queue(warehouse_id: int) -> QuerySet[Shipment]:
    """A warehouse's ready shipments that are not on an open pick list and wait for no stock, each
    with `is_packed` and `has_unpicked` (units still in their bins)."""
    return (
        Shipment.objects.filter(warehouse_id=warehouse_id, status=ShipmentStatus.READY)
        .exclude(Exists(ON_PICK_LIST.objects.filter(shipment_id=OuterRef("pk"), picklist__status=PickList.Status.OPEN)))
        .exclude(Exists(ShipmentLine.objects.filter(shipment_id=OuterRef("pk"), reserved_quantity__lt=F("quantity"))))
        .annotate(
            is_packed=Exists(Parcel.objects.filter(shipment_id=OuterRef("pk"))),
            has_unpicked=Exists(
                ShipmentLine.objects.filter(shipment_id=OuterRef("pk"), picked_quantity__lt=F("quantity"))
            ),
        )
    )


_STAGE_FILTERS = {
    Stage.PICK: Q(is_packed=False, has_unpicked=True),
    Stage.PACK: Q(is_packed=False, has_unpicked=False),
    Stage.SHIP: Q(is_packed=True),
}


def _filtered(warehouse_id: int, filters: QueueFilters) -> QuerySet[Shipment]:
    shipments = _queue(warehouse_id)
    if filters.no_service:
        shipments = shipments.filter(service__isnull=True)
    elif filters.service_id is not None:
        shipments = shipments.filter(service_id=filters.service_id)
    elif filters.carrier_id is not None:
        shipments = shipments.filter(service__carrier_id=filters.carrier_id)
    if filters.priority is not None:
        shipments = shipments.filter(priority=filters.priority)
    if filters.older_than is not None:
        shipments = shipments.filter(created_at__lte=timezone.now() - filters.older_than)
    return shipments


def _staged(shipments: QuerySet[Shipment], stage: str) -> QuerySet[Shipment]:
    return shipments.filter(_STAGE_FILTERS[stage]) if stage in _STAGE_FILTERS else shipments


# Highest priority first, then the longest waiting; the id settles ties (and is the page key).
QUEUE_ORDER = ("-priority", "created_at", "id")


def fulfilment_queue(
    *, warehouse_id: int, filters: QueueFilters = QueueFilters(), after: int | None = None, limit: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """One page of a warehouse's queue, most urgent first, each shipment with its order, carrier
    service, lines (`queue_lines`, with their SKUs) and `units`.

    Keyset pages over (priority, created_at, id): `after` is the previous page's `next_after`. The
    number of queries does not depend on the page size: the stage counts, the page key's row, the
    page, and its lines.
    """
    shipments = _filtered(warehouse_id, filters)
    stage_counts = shipments.aggregate(
        **{stage: Count("pk", filter=condition) for stage, condition in _STAGE_FILTERS.items()}
    )
    shipments = _staged(shipments, filters.stage)
    if after is not None:
        anchor = Shipment.objects.filter(pk=after).values("priority", "created_at").first()
        if anchor is not None:
            priority, created_at = anchor["priority"], anchor["created_at"]
            shipments = shipments.filter(
                Q(priority__lt=priority)
                | Q(priority=priority, created_at__gt=created_at)
                | Q(priority=priority, created_at=created_at, pk__gt=after)
            )
    units = (
        ShipmentLine.objects.filter(shipment_id=OuterRef("pk")).values("shipment_id").annotate(total=Sum("quantity"))
    )
    page = list(
        shipments.select_related("order", "service__carrier")
        .annotate(units=Coalesce(Subquery(units.values("total"), output_field=IntegerField()), 0))
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ShipmentLine.objects.select_related("order_line").only(
                    "id", "shipment_id", "quantity", "picked_quantity", "order_line__sku", "order_line__name"
                ),
                to_attr="queue_lines",
            )
        )
        .order_by(*QUEUE_ORDER)[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    for shipment in page:
        shipment.stage = Stage.SHIP if shipment.is_packed else Stage.PICK if shipment.has_unpicked else Stage.PACK
    return QueuePage(shipments=page, next_after=page[-1].pk if more else None, stage_counts=stage_counts)


def queue_next_ids(*, warehouse_id: int, filters: QueueFilters = QueueFilters(), limit: int) -> list[int]:
    """The ids of the next `limit` shipments to pick (the queue's order, with the filters)."""
    shipments = _staged(_filtered(warehouse_id, filters), Stage.PICK)
    return list(shipments.order_by(*QUEUE_ORDER).values_list("pk", flat=True)[:limit])


def queue_pickable_ids(*, warehouse_id: int, shipment_ids) -> set[int]:
    """Of these shipments, those a new pick list may take: in the queue with units still to pick."""
    return set(_staged(_queue(warehouse_id), Stage.PICK).filter(pk__in=list(shipment_ids)).values_list("pk", flat=True))


def fulfilment_warehouses() -> list[Warehouse]:
    return list(Warehouse.objects.filter(is_active=True).order_by("code"))


def service_choices() -> QuerySet[CarrierService]:
    return CarrierService.objects.filter(is_active=True, carrier__is_active=True).select_related("carrier")


# --- pick lists -------------------------------------------------------------------------------------


def pick_list_get(*, number: str) -> PickList | None:
    """A pick list with its stops (`lines`, with product and bin) and its shipments (with their orders)."""
    return (
        PickList.objects.filter(number__iexact=number.strip())
        .select_related("warehouse", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=PickLine.objects.select_related("product", "bin").order_by("sequence")),
            Prefetch("shipments", queryset=_list_shipments()),
        )
        .first()
    )


def _list_shipments() -> QuerySet[Shipment]:
    return (
        Shipment.objects.select_related("order")
        .annotate(
            is_packed=Exists(Parcel.objects.filter(shipment_id=OuterRef("pk"))),
            has_unpicked=Exists(
                ShipmentLine.objects.filter(shipment_id=OuterRef("pk"), picked_quantity__lt=F("quantity"))
            ),
        )
        .order_by("-priority", "created_at", "id")
    )


def pick_list_list(*, warehouse_id: int, status: str = "", limit: int = 50) -> list[PickList]:
    """A warehouse's latest pick lists, each with `shipment_count` and `unit_count`."""
    lists = PickList.objects.filter(warehouse_id=warehouse_id)
    if status:
        lists = lists.filter(status=status)
    shipments = ON_PICK_LIST.objects.filter(picklist_id=OuterRef("pk")).values("picklist_id").annotate(n=Count("pk"))
    units = PickLine.objects.filter(pick_list_id=OuterRef("pk")).values("pick_list_id").annotate(n=Sum("quantity"))
    return list(
        lists.select_related("created_by")
        .annotate(
            shipment_count=Coalesce(Subquery(shipments.values("n"), output_field=IntegerField()), 0),
            unit_count=Coalesce(Subquery(units.values("n"), output_field=IntegerField()), 0),
        )
        .order_by("-id")[:limit]
    )


def kit_parts(product_ids) -> dict[int, list[tuple[int, int]]]:
    """{kit id: [(component id, units per kit)]} for the kits among these products."""
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for kit_id, component_id, quantity in (
        KitComponent.objects.filter(kit_id__in=list(product_ids), kit__is_kit=True)
        .order_by("kit_id", "component_id")
        .values_list("kit_id", "component_id", "quantity")
    ):
        parts[kit_id].append((component_id, quantity))
    return dict(parts)


def pick_stops(*, warehouse_id: int, needs: dict[int, int]) -> list[StockLine]:
    """Where to pick {product id: units} (kits as their components): stock lines with the bins to take
    them from, walking bins in pick sequence; what no bin holds comes last, without a bin.

    Like inventory.selectors.pick_plan, except that units already promised to the warehouse's open
    pick lists are not offered again: two lists must not send pickers to the same units.
    """
    parts = kit_parts(needs)
    wanted: dict[int, int] = defaultdict(int)
    for product_id, quantity in needs.items():
        for component_id, per_kit in parts.get(product_id) or [(product_id, 1)]:
            wanted[component_id] += per_kit * quantity
    promised = {
        (product_id, bin_id): total
        for product_id, bin_id, total in PickLine.objects.filter(
            pick_list__warehouse_id=warehouse_id,
            pick_list__status=PickList.Status.OPEN,
            product_id__in=list(wanted),
            bin__isnull=False,
        )
        .values("product_id", "bin_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "bin_id", "total")
    }
    stock = (
        BinStock.objects.filter(
            product_id__in=list(wanted),
            bin__warehouse_id=warehouse_id,
            bin__is_quarantine=False,
            bin__is_active=True,
            on_hand__gt=0,
        )
        .order_by("bin__pick_sequence", "bin__code", "product__sku")
        .values_list("product_id", "bin_id", "on_hand")
    )
    stops = []
    for product_id, bin_id, on_hand in stock:
        take = min(on_hand - promised.get((product_id, bin_id), 0), wanted[product_id])
        if take > 0:
            stops.append(StockLine(product_id, take, bin_id))
            wanted[product_id] -= take
    stops.extend(StockLine(product_id, left) for product_id, left in sorted(wanted.items()) if left)
    return stops
