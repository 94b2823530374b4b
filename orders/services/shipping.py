"""Shipments leaving the warehouse and reaching the customer.

`shipment_ship` is the one place stock leaves for an order: it ships the units picked for it and takes
the rest out of their bins (in pick sequence) through `inventory`, records carrier and tracking, and moves the order to
partially shipped or shipped. `shipment_deliver` marks a shipment delivered (a carrier's tracking event
or a person), collects cash on delivery, and moves the order to delivered once every shipment is.
A pick-up is shipped when the customer collects it, which is also its delivery.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from backoffice.money import quantize
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.exceptions import InventoryError
from inventory.services import StockLine
from orders.exceptions import OrderError
from orders.models import Order, Payment, ReturnLine, Shipment, ShipmentLine
from orders.services.invoicing import invoice_issue
from orders.services.lifecycle import SOURCE, _event, _set_status, locked_with_order, payment_status_update
from orders.states import OrderStatus, PaymentMethod, PaymentStatus, ReturnStatus, ShipmentStatus

PICKUP_CARRIER = "Store pick-up"


def _locked_shipment(shipment_id: int) -> tuple[Order, Shipment]:
    return locked_with_order(Shipment, shipment_id, "shipment")


def stock_awaited(shipment: Shipment, lines: list[ShipmentLine]) -> str:
    """Why the shipment cannot ship yet: the units of its lines still waiting for stock ("" if none)."""
    waiting = [
        f"{line.order_line.sku} ({line.quantity - line.reserved_quantity} of {line.quantity})"
        for line in lines
        if line.reserved_quantity < line.quantity
    ]
    return f"Shipment {shipment} still waits for stock: {', '.join(waiting)}." if waiting else ""


@transaction.atomic
def shipment_ship(
    *, shipment_id: int, carrier: str = "", tracking_number: str = "", actor=None, at: datetime | None = None
) -> Shipment:
    """Send a shipment (or hand a pick-up to the customer): every unit of it must be reserved.

    Raises OrderError when the order may not ship (on hold, not ready) or stock is still awaited.
    """
    at = at or timezone.now()
    order, shipment = _locked_shipment(shipment_id)
    if order.status not in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED):
        raise OrderError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot ship now.")
    if shipment.status != ShipmentStatus.READY:
        raise OrderError(f"Shipment {shipment} is {shipment.get_status_display().lower()}, not ready to ship.")
    carrier = PICKUP_CARRIER if shipment.is_pickup else carrier.strip()
    if not carrier:
        raise OrderError("Say which carrier takes the shipment.")
    lines = list(ShipmentLine.objects.filter(shipment=shipment).select_related("order_line"))
    waiting = stock_awaited(shipment, lines)
    if waiting:
        raise OrderError(waiting)

    # Units already picked (a pick list) wait in the packing area; the rest leave their bins now.
    to_pick: dict[int, int] = defaultdict(int)
    picked: dict[int, int] = defaultdict(int)
    for line in lines:
        product_id = line.order_line.product_id
        picked[product_id] += line.picked_quantity
        to_pick[product_id] += line.quantity - line.picked_quantity
    stock_lines = [StockLine(product_id, quantity) for product_id, quantity in picked.items() if quantity]
    if any(to_pick.values()):
        stock_lines += inventory_selectors.pick_plan(
            warehouse_id=shipment.warehouse_id, quantities={p: q for p, q in to_pick.items() if q}
        )
    try:
        inventory_services.stock_ship(
            warehouse_id=shipment.warehouse_id,
            lines=stock_lines,
            reserved=True,
            actor=actor,
            source_type=SOURCE,
            source_id=str(order.pk),
            idempotency_key=f"ship:{shipment.pk}",
        )
    except InventoryError as error:
        # A bin emptied by another shipment meanwhile, say: nothing ships, and the caller says why.
        raise OrderError(f"Shipment {shipment} cannot ship: {error}") from error
    ShipmentLine.objects.filter(shipment=shipment).update(reserved_quantity=0)
    shipment.carrier, shipment.tracking_number, shipment.shipped_at = carrier, tracking_number.strip(), at
    shipment.status = ShipmentStatus.SHIPPED
    shipment.save(update_fields=["carrier", "tracking_number", "shipped_at", "status", "updated_at"])
    if shipment.is_pickup:
        _event(order, "shipment", f"Shipment {shipment.position}: collected by the customer", actor)
        _deliver(order, shipment, actor, at)
    else:
        tracking = f", tracking {shipment.tracking_number}" if shipment.tracking_number else ""
        _event(order, "shipment", f"Shipment {shipment.position} shipped by {carrier}{tracking}", actor)
    order_status_follow(order, actor)
    # The order is invoiced when it first ships, in this transaction (later shipments find the invoice).
    invoice_issue(order_id=order.pk, actor=actor, at=at)
    return shipment


@transaction.atomic
def shipment_deliver(*, shipment_id: int, actor=None, at: datetime | None = None) -> Shipment:
    """The carrier delivered the shipment. Delivering it twice changes nothing the second time."""
    order, shipment = _locked_shipment(shipment_id)
    if shipment.status == ShipmentStatus.DELIVERED:
        return shipment
    if shipment.status != ShipmentStatus.SHIPPED:
        raise OrderError(f"Shipment {shipment} is {shipment.get_status_display().lower()}; it has not shipped.")
    _event(order, "shipment", f"Shipment {shipment.position} delivered", actor)
    _deliver(order, shipment, actor, at or timezone.now())
    order_status_follow(order, actor)
    return shipment


def _deliver(order: Order, shipment: Shipment, actor, at: datetime) -> None:
    shipment.status, shipment.delivered_at = ShipmentStatus.DELIVERED, at
    shipment.save(update_fields=["status", "delivered_at", "updated_at"])
    if order.payment_method == PaymentMethod.COD and not shipment.is_pickup:
        amount = _cod_share(order, shipment)
        if amount > 0:
            Payment.objects.create(
                order=order,
                kind=Payment.Kind.COD_COLLECTED,
                method=order.payment_method,
                amount=amount,
                reference=shipment.tracking_number or str(shipment),
                actor=actor if getattr(actor, "pk", None) else None,
            )
            _event(order, "payment", f"{amount} collected by {shipment.carrier}, awaiting remittance", actor)
            payment_status_update(order, actor)


def _cod_share(order: Order, shipment: Shipment) -> Decimal:
    """What the carrier collects for this shipment: its lines' share of the order total and its own
    shipping; the last shipment to be delivered collects what is left, so the shares add up exactly."""
    collected = order.payments.filter(kind=Payment.Kind.COD_COLLECTED).aggregate(total=Sum("amount"))["total"]
    left = order.total_amount - (collected or Decimal(0))
    others_open = order.shipments.exclude(pk=shipment.pk).exclude(
        status__in=(ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)
    )
    if not others_open.exists():
        return left
    share = shipment.shipping_amount
    for line in ShipmentLine.objects.filter(shipment=shipment).select_related("order_line"):
        order_line = line.order_line
        value = order_line.total_amount + (Decimal(0) if order.prices_include_tax else order_line.tax_amount)
        share += quantize(value * line.quantity / order_line.quantity)
    return min(share, left)


def order_status_follow(order: Order, actor) -> None:
    """Move the order to the status its shipments and returns now describe, if it differs."""
    statuses = list(order.shipments.exclude(status=ShipmentStatus.CANCELLED).values_list("status", flat=True))
    if not statuses:
        return
    open_ = any(status in (ShipmentStatus.PENDING, ShipmentStatus.READY) for status in statuses)
    if open_:
        target = OrderStatus.PARTIALLY_SHIPPED if order.status == OrderStatus.READY else order.status
    else:
        shipped = (
            ShipmentLine.objects.filter(shipment__order=order)
            .exclude(shipment__status=ShipmentStatus.CANCELLED)
            .aggregate(total=Sum("quantity"))["total"]
            or 0
        )
        returned = (
            ReturnLine.objects.filter(
                rma__order=order, rma__status__in=(ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
            ).aggregate(total=Sum("received_quantity"))["total"]
            or 0
        )
        if returned and returned >= shipped:
            target = OrderStatus.RETURNED
        elif returned:
            target = OrderStatus.PARTIALLY_RETURNED
        elif all(status == ShipmentStatus.DELIVERED for status in statuses):
            target = (
                OrderStatus.DELIVERED
                if order.status in (OrderStatus.SHIPPED, OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED)
                else order.status
            )
        else:
            target = (
                OrderStatus.SHIPPED
                if order.status in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED)
                else order.status
            )
    if target == order.status:
        return
    if target == OrderStatus.DELIVERED and order.status != OrderStatus.SHIPPED:
        # Everything shipped and arrived in one step (a pick-up): shipped first, then delivered.
        _set_status(order, OrderStatus.SHIPPED, actor, "Shipped")
    _set_status(order, target, actor, OrderStatus(target).label)
    if target == OrderStatus.DELIVERED and order.payment_status == PaymentStatus.PAID:
        _set_status(order, OrderStatus.COMPLETED, actor, "Completed: delivered and paid")
