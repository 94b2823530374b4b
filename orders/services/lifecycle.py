"""An order's life after placing: holds, payments, cancellation. One function per business event;
each locks the order, checks the transition table, does its work and writes the timeline, in one
transaction."""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from inventory import services as inventory_services
from inventory.services import StockLine
from orders.exceptions import OrderError
from orders.models import Order, OrderEvent, Payment, Shipment, ShipmentLine
from orders.states import HoldReason, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus, ensure_transition
from pricing import services as pricing_services

SOURCE = "orders.order"


def _locked(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def locked_with_order(model, pk: int, what: str):
    """Lock a row that belongs to an order (a shipment, a return) and its order: the order first, as
    every order service does, so that two services never wait on each other in opposite orders."""
    order_id = model.objects.filter(pk=pk).values_list("order_id", flat=True).first()
    if order_id is None:
        raise OrderError(f"There is no {what} {pk}.")
    order = _locked(order_id)
    return order, model.objects.select_for_update().get(pk=pk)


def _event(order: Order, kind: str, message: str, actor, *, old=None, new=None) -> None:
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message[:300],
        old_value=old,
        new_value=new,
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _set_status(order: Order, target: str, actor, message: str, *, hold_reason: str = "") -> None:
    ensure_transition(order.status, target)
    old = order.status
    order.status = target
    order.hold_reason = hold_reason
    order.save(update_fields=["status", "hold_reason", "updated_at"])
    _event(order, "status", message, actor, old=old, new=target)


@transaction.atomic
def order_hold(*, order_id: int, reason: str, actor=None, note: str = "") -> Order:
    """Stop an order from being fulfilled until the hold is released (address to check, manual...).

    Raises InvalidTransition when the order is past fulfilment, OrderError for an unknown reason.
    """
    if reason not in HoldReason.values:
        raise OrderError(f"Unknown hold reason {reason!r}.")
    order = _locked(order_id)
    _set_status(
        order,
        OrderStatus.ON_HOLD,
        actor,
        f"On hold: {HoldReason(reason).label}{f' ({note})' if note else ''}",
        hold_reason=reason,
    )
    Shipment.objects.filter(order=order, status=ShipmentStatus.READY).update(status=ShipmentStatus.PENDING)
    return order


@transaction.atomic
def order_release_hold(*, order_id: int, actor=None, note: str = "") -> Order:
    """Let a held order be fulfilled. A payment hold is released only once the order is paid (a person
    who releases it anyway must say why in `note`)."""
    order = _locked(order_id)
    if (
        order.hold_reason == HoldReason.PAYMENT_PENDING
        and order.payment_status not in (PaymentStatus.PAID, PaymentStatus.AUTHORISED)
        and not note.strip()
    ):
        raise OrderError("The order is not paid yet: record the payment, or say why it may go anyway.")
    reason = HoldReason(order.hold_reason).label if order.hold_reason else "hold"
    _set_status(order, OrderStatus.READY, actor, f"Released from {reason.lower()}{f': {note}' if note else ''}")
    Shipment.objects.filter(order=order, status=ShipmentStatus.PENDING).update(status=ShipmentStatus.READY)
    return order


@transaction.atomic
def order_payment_record(
    *, order_id: int, amount: Decimal, reference: str, kind: str = Payment.Kind.CAPTURE, actor=None
) -> Payment:
    """Record money received (or authorised) for an order; a payment hold ends once it is paid in full."""
    if amount <= 0:
        raise OrderError("A payment must be more than zero.")
    if kind not in (Payment.Kind.CAPTURE, Payment.Kind.AUTHORISATION):
        raise OrderError("Record a capture or an authorisation here; refunds go with returns.")
    order = _locked(order_id)
    if order.status == OrderStatus.CANCELLED:
        raise OrderError(f"Order {order.number} is cancelled.")
    payment = Payment.objects.create(
        order=order,
        kind=kind,
        method=order.payment_method,
        amount=amount,
        reference=reference,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    _event(order, "payment", f"{payment.get_kind_display()}: {amount} ({reference})", actor)
    payment_status_update(order, actor)
    waiting = order.status == OrderStatus.ON_HOLD and order.hold_reason == HoldReason.PAYMENT_PENDING
    if waiting and order.payment_status in (PaymentStatus.PAID, PaymentStatus.AUTHORISED):
        _set_status(order, OrderStatus.READY, actor, "Payment received: ready to fulfil")
        Shipment.objects.filter(order=order, status=ShipmentStatus.PENDING).update(status=ShipmentStatus.READY)
    return payment


def payment_status_of(order: Order) -> str:
    """The payment status the order's payments and credit notes add up to.

    Money given back (refunds and credit notes) makes it refunded once it covers the total, partially
    refunded before that. Otherwise it is paid once captures cover the total, collected once the carrier
    holds the rest as cash on delivery (paid when the carrier remits it), authorised once a payment is.
    """
    sums = {kind: Decimal(0) for kind in Payment.Kind.values}
    for kind, amount in order.payments.values_list("kind", "amount"):
        sums[kind] += amount
    credited = order.credit_notes.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    given_back = sums[Payment.Kind.REFUND] + credited
    total = order.total_amount
    if given_back and given_back >= total:
        return PaymentStatus.REFUNDED
    if given_back:
        return PaymentStatus.PARTIALLY_REFUNDED
    if sums[Payment.Kind.CAPTURE] >= total:
        return PaymentStatus.PAID
    if sums[Payment.Kind.COD_COLLECTED] and sums[Payment.Kind.COD_COLLECTED] + sums[Payment.Kind.CAPTURE] >= total:
        return PaymentStatus.COLLECTED
    if sums[Payment.Kind.AUTHORISATION]:
        return PaymentStatus.AUTHORISED
    return PaymentStatus.UNPAID


def payment_status_update(order: Order, actor) -> None:
    """Store the payment status the payments now add up to, noting a change in the timeline; a delivered
    order that is now paid is complete."""
    old, new = order.payment_status, payment_status_of(order)
    if new != old:
        order.payment_status = new
        order.save(update_fields=["payment_status", "updated_at"])
        _event(order, "payment_status", f"Payment: {PaymentStatus(new).label}", actor, old=old, new=new)
    if order.status == OrderStatus.DELIVERED and new == PaymentStatus.PAID:
        _set_status(order, OrderStatus.COMPLETED, actor, "Completed: delivered and paid")


@transaction.atomic
def order_cancel(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Cancel an order that has not shipped: its reserved stock and its coupon uses are given back.

    Raises InvalidTransition once anything has shipped (use a return then), OrderError without a reason.
    """
    if not reason.strip():
        raise OrderError("Say why the order is cancelled.")
    order = _locked(order_id)
    ensure_transition(order.status, OrderStatus.CANCELLED)
    reserved: dict[int, list[StockLine]] = defaultdict(list)
    for line in ShipmentLine.objects.filter(shipment__order=order, reserved_quantity__gt=0).select_related(
        "shipment", "order_line"
    ):
        reserved[line.shipment.warehouse_id].append(StockLine(line.order_line.product_id, line.reserved_quantity))
    pricing_services.coupon_release(source_type=SOURCE, source_id=str(order.pk))
    if reserved:
        inventory_services.stock_release_allocated(
            allocations=reserved, actor=actor, source_type=SOURCE, source_id=str(order.pk)
        )
    ShipmentLine.objects.filter(shipment__order=order).update(reserved_quantity=0)
    Shipment.objects.filter(order=order).update(status=ShipmentStatus.CANCELLED)
    _set_status(order, OrderStatus.CANCELLED, actor, f"Cancelled: {reason.strip()}")
    if order.payment_method == PaymentMethod.PREPAID and order.payment_status == PaymentStatus.PAID:
        # The money goes back with a refund, which the accountant records; the timeline says so.
        _event(order, "refund_due", f"Refund due: {order.total_amount} was paid", actor)
    return order
