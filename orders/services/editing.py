"""Changing a placed order: lines, quantities, addresses, the shipment split, coupons. The order is
priced again (a spend-threshold discount goes when the order falls below it), its reservations move
to the new allocation, and the timeline records what changed — in one transaction."""

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import KitComponent
from inventory.services import StockLine
from orders.exceptions import InvalidOrder, OrderError
from orders.models import Invoice, Order, OrderEvent, OrderLine, Payment, Shipment, ShipmentLine
from orders.services.placement import (
    SOURCE,
    OrderInput,
    _adjustment,
    _allocate,
    _create_lines,
    _price,
    _reservations,
    _validate,
    hold_needed,
)
from orders.states import EDITABLE, HoldReason, OrderStatus, PaymentStatus, ShipmentStatus, ensure_transition
from pricing import services as pricing_services
from pricing.exceptions import CouponUnavailable


@transaction.atomic
def order_edit(*, order_id: int, data: OrderInput, actor=None, at: datetime | None = None) -> Order:
    """Replace a not-yet-fulfilled order's lines, shipments, billing address, coupons and notes.

    The channel, external id and customer stay as they were. Raises OrderError when the order can no
    longer be changed, InvalidOrder / InsufficientStock as order_place does; nothing changes then.
    """
    at = at or timezone.now()
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status not in EDITABLE:
        raise OrderError(f"Order {order.number} is {order.get_status_display().lower()} and can no longer be changed.")
    invoice_number = Invoice.objects.filter(order=order).values_list("number", flat=True).first()
    if invoice_number:
        raise OrderError(f"Order {order.number} is invoiced ({invoice_number}) and can no longer be changed.")
    data = replace(
        data,
        channel=order.channel,
        external_id=order.external_id,
        customer_id=order.customer_id,
        customer_name=data.customer_name or order.customer_name,
        paid_reference="",
    )
    before = _snapshot(order)
    plan = _validate(data)
    priced = _price(data, plan, at, redeemed_by=(SOURCE, str(order.pk)))

    kept = {code.upper() for code in priced.applied_coupons}
    dropped = [code for code in order.coupon_codes if code.upper() not in kept]
    if dropped:
        pricing_services.coupon_release(source_type=SOURCE, source_id=str(order.pk), codes=dropped)
    try:
        pricing_services.coupon_redeem(
            codes=priced.applied_coupons, customer_id=order.customer_id, source_type=SOURCE, source_id=str(order.pk)
        )
    except CouponUnavailable as error:
        raise InvalidOrder({"coupon_codes": str(error)}) from error

    old_reserved = _reserved(order)
    allocations = _allocate(
        data,
        plan,
        own_reserved=_components(old_reserved),
        also_lock={product for _, product in old_reserved},
    )
    Shipment.objects.filter(order=order).delete()
    OrderLine.objects.filter(order=order).delete()
    # A ready order's new shipments are ready too (a hold below sets them back to pending).
    ready = ShipmentStatus.READY if order.status == OrderStatus.READY else ShipmentStatus.PENDING
    _create_lines(order, data, plan, priced, allocations, shipment_status=ready)
    _move_reservations(order, old_reserved, _line_level(_reservations(plan, allocations)), actor)

    order.billing_address = data.billing_address.as_dict() if data.billing_address else order.billing_address
    order.payment_method = data.payment_method
    order.subtotal_amount = priced.subtotal
    order.discount_amount = priced.discount_total
    order.shipping_amount = priced.shipping.price
    order.tax_amount = priced.tax_total
    order.total_amount = priced.total
    order.coupon_codes = list(priced.applied_coupons)
    order.pricing = {
        **order.pricing,
        "order_adjustments": [_adjustment(a) for a in priced.order_adjustments],
        "explanations": list(priced.explanations),
        "tax_breakdown": [[str(rate), str(base), str(tax)] for rate, base, tax in priced.tax_breakdown],
    }
    order.notes_customer = data.notes_customer
    order.notes_internal = data.notes_internal
    order.save()
    after = _snapshot(order)
    OrderEvent.objects.create(
        order=order,
        kind="edited",
        message=_describe(before, after),
        old_value=before,
        new_value=after,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    _recheck_holds(order, actor)
    return order


def _reserved(order: Order) -> dict[tuple[int, int], int]:
    """{(warehouse, product of the line): units reserved}; a kit line counts kits."""
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    for line in ShipmentLine.objects.filter(shipment__order=order, reserved_quantity__gt=0).select_related(
        "shipment", "order_line"
    ):
        reserved[(line.shipment.warehouse_id, line.order_line.product_id)] += line.reserved_quantity
    return dict(reserved)


def _line_level(reservations: dict[int, list[StockLine]]) -> dict[tuple[int, int], int]:
    result: dict[tuple[int, int], int] = defaultdict(int)
    for warehouse, lines in reservations.items():
        for line in lines:
            result[(warehouse, line.product_id)] += line.quantity
    return dict(result)


def _components(reserved: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """Reserved units per (warehouse, stocked product): kits counted as their components."""
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for component in KitComponent.objects.filter(kit_id__in={product for _, product in reserved}):
        parts[component.kit_id].append((component.component_id, component.quantity))
    result: dict[tuple[int, int], int] = defaultdict(int)
    for (warehouse, product), units in reserved.items():
        for part, per_kit in parts.get(product, [(product, 1)]):
            result[(warehouse, part)] += units * per_kit
    return dict(result)


def _move_reservations(order: Order, old: dict, new: dict, actor) -> None:
    """Reserve what the new allocation holds beyond the old one and release the rest. The levels are
    locked already (by _allocate), so the two operations cannot cross another transaction's locks."""
    release: dict[int, list[StockLine]] = defaultdict(list)
    reserve: dict[int, list[StockLine]] = defaultdict(list)
    for warehouse, product in sorted(set(old) | set(new)):
        delta = new.get((warehouse, product), 0) - old.get((warehouse, product), 0)
        if delta < 0:
            release[warehouse].append(StockLine(product, -delta))
        elif delta > 0:
            reserve[warehouse].append(StockLine(product, delta))
    if release:
        inventory_services.stock_release_allocated(
            allocations=release, actor=actor, source_type=SOURCE, source_id=str(order.pk)
        )
    if reserve:
        inventory_services.stock_reserve_allocated(
            allocations=reserve, actor=actor, source_type=SOURCE, source_id=str(order.pk)
        )


def _snapshot(order: Order) -> dict:
    return {
        "lines": [[line.sku, line.quantity] for line in order.lines.order_by("position")],
        "shipments": [
            [s.warehouse.code, s.ship_to.get("postal_code", "") if not s.is_pickup else "pick-up", s.shipping_method]
            for s in order.shipments.select_related("warehouse").order_by("position")
        ],
        "coupons": list(order.coupon_codes),
        "total": str(order.total_amount),
    }


def _describe(before: dict, after: dict) -> str:
    old_lines, new_lines = dict(map(tuple, before["lines"])), dict(map(tuple, after["lines"]))
    changes = []
    for sku in sorted(set(old_lines) | set(new_lines)):
        if sku not in new_lines:
            changes.append(f"{sku} removed")
        elif sku not in old_lines:
            changes.append(f"{sku} x{new_lines[sku]} added")
        elif old_lines[sku] != new_lines[sku]:
            changes.append(f"{sku} {old_lines[sku]} -> {new_lines[sku]}")
    if before["shipments"] != after["shipments"]:
        changes.append("shipments changed")
    if before["coupons"] != after["coupons"]:
        changes.append(f"coupons {', '.join(before['coupons']) or 'none'} -> {', '.join(after['coupons']) or 'none'}")
    if before["total"] != after["total"]:
        changes.append(f"total {before['total']} -> {after['total']}")
    return "Order changed: " + ("; ".join(changes) if changes else "no difference")


def _recheck_holds(order: Order, actor) -> None:
    """A change may leave a ready order unpaid in full or past the customer's credit limit."""
    if order.status != OrderStatus.READY:
        return
    captured = sum(p.amount for p in order.payments.filter(kind=Payment.Kind.CAPTURE))
    if order.payment_status == PaymentStatus.PAID and captured < order.total_amount:
        order.payment_status = PaymentStatus.UNPAID
        order.save(update_fields=["payment_status", "updated_at"])
    hold = hold_needed(order)
    if hold:
        ensure_transition(order.status, OrderStatus.ON_HOLD)
        order.status, order.hold_reason = OrderStatus.ON_HOLD, hold
        order.save(update_fields=["status", "hold_reason", "updated_at"])
        Shipment.objects.filter(order=order).update(status=ShipmentStatus.PENDING)
        OrderEvent.objects.create(
            order=order,
            kind="hold",
            message=f"On hold after the change: {HoldReason(hold).label}",
            old_value=OrderStatus.READY,
            new_value=OrderStatus.ON_HOLD,
            actor=actor if getattr(actor, "pk", None) else None,
        )
