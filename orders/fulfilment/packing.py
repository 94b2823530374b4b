"""Packing a shipment into parcels: every unit of it in exactly one parcel, each parcel weighed."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from orders.exceptions import OrderError
from orders.fulfilment import pack_selectors
from orders.fulfilment.exceptions import FulfilmentError, PackingInvalid
from orders.models import Order, OrderEvent, Parcel, ParcelItem, Shipment, ShipmentLine
from orders.services.lifecycle import locked_with_order
from orders.states import ShipmentStatus


@dataclass(frozen=True)
class ParcelInput:
    """One parcel: {shipment line id: units}, its weight (None: the weight of its units, from the
    products' unit weights) and its package type (Parcel.PackageType)."""

    items: dict[int, int] = field(default_factory=dict)
    weight_grams: int | None = None
    package_type: str = Parcel.PackageType.MEDIUM_BOX


def parcel_weight(lines: dict[int, pack_selectors.PackLine], items: dict[int, int]) -> int:
    """What a parcel's units weigh together, in grams (0 when their products have no weight)."""
    return sum(lines[line_id].unit_weight_grams * quantity for line_id, quantity in items.items() if line_id in lines)


@transaction.atomic
def parcels_pack(*, shipment_id: int, parcels: list[ParcelInput], actor=None) -> list[Parcel]:
    """Pack a ready shipment into parcels, every unit of it exactly once; returns the parcels.

    Raises PackingInvalid naming the SKU of each wrong item, each line packed too often or not in
    full, and each parcel that is empty or has no weight; FulfilmentError when the shipment is not
    ready or is packed already.
    """
    order, shipment = _locked(shipment_id)
    if shipment.status != ShipmentStatus.READY:
        raise FulfilmentError(f"Shipment {shipment} is {shipment.get_status_display().lower()}; it cannot be packed.")
    if shipment.parcels.exists():
        raise FulfilmentError(f"Shipment {shipment} is packed already.")
    if not parcels:
        raise PackingInvalid("Pack the shipment into at least one parcel.")
    lines = {line.id: line for line in pack_selectors.pack_lines(shipment_id=shipment.pk)}
    problems = _problems(shipment, lines, parcels)
    weights = []
    for number, parcel in enumerate(parcels, start=1):
        weight = parcel.weight_grams if parcel.weight_grams is not None else parcel_weight(lines, parcel.items)
        if weight < 1:
            problems.append(f"Parcel {number}: enter its weight (its products have no weight on record).")
        weights.append(weight)
    if problems:
        raise PackingInvalid(" ".join(problems))
    created = []
    for position, (parcel, weight) in enumerate(zip(parcels, weights, strict=True), start=1):
        row = Parcel.objects.create(
            shipment=shipment,
            position=position,
            package_type=parcel.package_type,
            weight_grams=weight,
            service_id=shipment.service_id,
        )
        ParcelItem.objects.bulk_create(
            ParcelItem(parcel=row, shipment_line_id=line_id, quantity=quantity)
            for line_id, quantity in sorted(parcel.items.items())
            if quantity
        )
        created.append(row)
    described = ", ".join(f"{weight / 1000:g} kg" for weight in weights)
    plural = "parcel" if len(created) == 1 else "parcels"
    OrderEvent.objects.create(
        order=order,
        kind="fulfilment",
        message=f"Shipment {shipment.position} packed: {len(created)} {plural} ({described})",
        actor=actor if getattr(actor, "pk", None) else None,
    )
    return created


def _locked(shipment_id: int) -> tuple[Order, Shipment]:
    """Lock the order, then its shipment, as every order service does."""
    try:
        return locked_with_order(Shipment, shipment_id, "shipment")
    except OrderError as error:
        raise FulfilmentError(str(error)) from error


def _problems(shipment: Shipment, lines: dict[int, pack_selectors.PackLine], parcels: list[ParcelInput]) -> list[str]:
    problems = []
    packed: dict[int, int] = defaultdict(int)
    wrong: set[int] = set()
    for number, parcel in enumerate(parcels, start=1):
        if parcel.package_type not in Parcel.PackageType.values:
            problems.append(f"Parcel {number}: there is no package type {parcel.package_type!r}.")
        if parcel.weight_grams is not None and (not isinstance(parcel.weight_grams, int) or parcel.weight_grams < 1):
            problems.append(f"Parcel {number}: a weight is a whole number of grams above zero.")
        if not any(parcel.items.values()):
            problems.append(f"Parcel {number} is empty.")
        for line_id, quantity in parcel.items.items():
            if not isinstance(quantity, int) or quantity < 0:
                problems.append(f"Parcel {number}: {quantity!r} is not a number of units.")
            elif line_id not in lines:
                wrong.add(line_id)
            else:
                packed[line_id] += quantity
    if wrong:
        skus = dict(ShipmentLine.objects.filter(pk__in=wrong).values_list("pk", "order_line__sku"))
        problems.extend(
            f"Wrong item: {skus.get(line_id, f'line {line_id}')} is not in shipment {shipment}."
            for line_id in sorted(wrong)
        )
    for line in lines.values():
        if packed[line.id] > line.quantity:
            problems.append(f"Too many {line.sku}: {packed[line.id]} packed, the shipment has {line.quantity}.")
        elif packed[line.id] < line.quantity:
            problems.append(f"{line.sku}: {packed[line.id]} of {line.quantity} packed; every unit must be packed.")
    return problems
