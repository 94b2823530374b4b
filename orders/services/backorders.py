"""Backorders: units ordered while out of stock are reserved when stock arrives, oldest order first."""

from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import KitComponent, StockLevel
from inventory.services import StockLine
from orders.models import OrderEvent, OrderLine, Shipment, ShipmentLine
from orders.states import RESERVING

SOURCE = "orders.order"


@transaction.atomic
def backorders_fill(*, product_ids: set[int] | None = None, actor=None) -> int:
    """Reserve what has arrived for waiting shipment lines, in order of placement; returns the units
    reserved. Lines that cannot be filled completely take what there is and wait for the rest."""
    waiting = (
        ShipmentLine.objects.select_for_update(of=("self",))
        .filter(reserved_quantity__lt=F("quantity"), shipment__order__status__in=RESERVING)
        .select_related("shipment__order", "order_line")
        .order_by("shipment__order__placed_at", "shipment__order_id", "id")
    )
    if product_ids is not None:
        waiting = waiting.filter(order_line__product_id__in=product_ids)
    lines = list(waiting)
    if not lines:
        return 0
    parts = _parts({line.order_line.product_id for line in lines})
    stocked = {part for pairs in parts.values() for part, _ in pairs}
    warehouses = {line.shipment.warehouse_id for line in lines}
    # Locked in key order, as every stock operation does, so the figures hold until we reserve.
    available = {
        (level.warehouse_id, level.product_id): level.available
        for level in StockLevel.objects.select_for_update()
        .filter(product_id__in=stocked, warehouse_id__in=warehouses)
        .order_by("pk")
    }
    # order id -> warehouse -> lines: each order's reservation is its own ledger entry, for traceability.
    reserve: dict[int, dict[int, list[StockLine]]] = defaultdict(lambda: defaultdict(list))
    filled = 0
    touched: set[int] = set()
    for line in lines:
        warehouse = line.shipment.warehouse_id
        pairs = parts[line.order_line.product_id]
        can = min(max(available.get((warehouse, part), 0), 0) // per_unit for part, per_unit in pairs)
        take = min(line.quantity - line.reserved_quantity, can)
        if take <= 0:
            continue
        for part, per_unit in pairs:
            available[(warehouse, part)] -= take * per_unit
        reserve[line.shipment.order_id][warehouse].append(StockLine(line.order_line.product_id, take))
        ShipmentLine.objects.filter(pk=line.pk).update(reserved_quantity=F("reserved_quantity") + take)
        OrderLine.objects.filter(pk=line.order_line_id).update(backordered_quantity=F("backordered_quantity") - take)
        OrderEvent.objects.create(
            order=line.shipment.order,
            kind="backorder",
            message=f"Backorder reserved: {line.order_line.sku} x{take} in shipment {line.shipment.position}",
            actor=actor if getattr(actor, "pk", None) else None,
        )
        filled += take
        touched.add(line.shipment_id)
    # What changed reaches incremental syncs that read last-modified times (ShipStation's export).
    Shipment.objects.filter(pk__in=touched).update(updated_at=timezone.now())
    # The levels are locked already (above): these operations take no new locks.
    for order_id, allocations in sorted(reserve.items()):
        inventory_services.stock_reserve_allocated(
            allocations=dict(allocations), actor=actor, source_type=SOURCE, source_id=str(order_id)
        )
    return filled


def _parts(product_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for component in KitComponent.objects.filter(kit_id__in=product_ids):
        parts[component.kit_id].append((component.component_id, component.quantity))
    return {product: parts.get(product) or [(product, 1)] for product in product_ids}
