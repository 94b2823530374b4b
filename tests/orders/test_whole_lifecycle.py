"""One order through its whole life: placed on a payment hold, edited, paid, held and released,
shipped, delivered, completed, returned in two parts and refunded — with the stock, the money and the
timeline checked at each step."""

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from orders.exceptions import OrderError
from orders.services.editing import order_edit
from orders.services.lifecycle import order_hold, order_payment_record, order_release_hold
from orders.services.placement import order_place
from orders.services.returns import ReturnReceipt, ReturnRequest, return_authorise, return_receive, return_settle
from orders.services.shipping import shipment_deliver, shipment_ship
from orders.states import HoldReason, OrderStatus, PaymentStatus
from pricing.models import Promotion
from tests.inventory.factories import BinFactory
from tests.orders.factories import order
from tests.pricing.factories import PromotionFactory

pytestmark = pytest.mark.django_db


def state(placed):
    placed.refresh_from_db()
    return placed.status, placed.payment_status


def plates(shop):
    level = StockLevel.objects.get(product=shop["plate"], warehouse=shop["leeds"])
    ledger = StockMovement.objects.filter(
        product=shop["plate"], warehouse=shop["leeds"], kind__in=("receipt", "shipment", "return", "adjustment")
    ).aggregate(total=Sum("quantity"))["total"]
    assert level.on_hand == ledger  # the ledger invariant, at every step
    return level.on_hand, level.reserved


def test_an_order_from_placing_to_its_last_refund(shop, staff_user):
    clerk, accountant = staff_user("Clerk"), staff_user("Accountant")
    BinFactory(warehouse=shop["leeds"], code="R-01")
    PromotionFactory(name="Spend 100", kind=Promotion.Kind.SPEND_THRESHOLD, value=D("10"), min_subtotal=D("100"))

    placed = order_place(data=order(("PLATE", 6), payment_method="prepaid"), actor=clerk)
    # 120.00 - 10% + 4.95 shipping; prepaid and unpaid: on hold.
    assert placed.total_amount == D("112.95")
    assert state(placed) == (OrderStatus.ON_HOLD, PaymentStatus.UNPAID)
    assert placed.hold_reason == HoldReason.PAYMENT_PENDING
    assert plates(shop) == (10, 6)

    edited = order_edit(order_id=placed.pk, data=order(("PLATE", 4), payment_method="prepaid"), actor=clerk)
    assert edited.total_amount == D("84.95")  # below 100: the threshold discount is gone
    assert plates(shop) == (10, 4)

    order_payment_record(order_id=placed.pk, amount=D("84.95"), reference="bank 7781", actor=accountant)
    assert state(placed) == (OrderStatus.READY, PaymentStatus.PAID)
    order_hold(order_id=placed.pk, reason=HoldReason.ADDRESS_CHECK, actor=clerk)
    order_release_hold(order_id=placed.pk, actor=clerk)
    assert state(placed) == (OrderStatus.READY, PaymentStatus.PAID)

    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD", tracking_number="DPD-1", actor=clerk)
    assert state(placed) == (OrderStatus.SHIPPED, PaymentStatus.PAID)
    assert plates(shop) == (6, 0)
    with pytest.raises(OrderError, match="can no longer be changed"):
        order_edit(order_id=placed.pk, data=order(("PLATE", 1), payment_method="prepaid"))

    shipment_deliver(shipment_id=shipment.pk)
    assert state(placed) == (OrderStatus.COMPLETED, PaymentStatus.PAID)

    line = shipment.lines.get()
    first = return_authorise(order_id=placed.pk, lines=[ReturnRequest(line.pk, 1, "defective")], actor=clerk)
    return_receive(rma_id=first.pk, receipts=[ReturnReceipt(first.lines.get().pk, 1)], actor=clerk)
    return_settle(rma_id=first.pk, settlement="refund", reference="re_1", actor=accountant)
    assert state(placed) == (OrderStatus.PARTIALLY_RETURNED, PaymentStatus.PARTIALLY_REFUNDED)
    assert plates(shop) == (7, 0)

    rest = return_authorise(order_id=placed.pk, lines=[ReturnRequest(line.pk, 3, "not_needed")])
    return_receive(rma_id=rest.pk, receipts=[ReturnReceipt(rest.lines.get().pk, 3)])
    # The goods' value is 80.00; the accountant refunds the shipping too, which ends at the total.
    return_settle(rma_id=rest.pk, settlement="refund", amount=D("64.95"), reference="re_2", actor=accountant)
    assert state(placed) == (OrderStatus.RETURNED, PaymentStatus.REFUNDED)
    assert plates(shop) == (10, 0)
    refunds = placed.payments.filter(kind="refund").aggregate(total=Sum("amount"))["total"]
    assert refunds == placed.total_amount == D("84.95")

    messages = list(placed.events.values_list("message", flat=True))
    steps = [
        "On hold: Payment pending",
        "Order changed: PLATE 6 -> 4; total 112.95 -> 84.95",
        "Payment received: ready to fulfil",
        "Shipment 1 shipped by DPD, tracking DPD-1",
        "Shipment 1 delivered",
        "Completed: delivered and paid",
        "Refunded 20.00 for return " + first.number + " (re_1)",
        "Refunded 64.95 for return " + rest.number + " (re_2)",
    ]
    assert [message for message in messages if message in steps] == steps


def test_an_edited_ready_order_can_still_ship(shop):
    placed = order_place(data=order(("MUG", 1)))  # cash on delivery: ready at once
    order_edit(order_id=placed.pk, data=order(("MUG", 2)))

    assert set(placed.shipments.values_list("status", flat=True)) == {"ready"}
    shipment_ship(shipment_id=placed.shipments.get().pk, carrier="DPD")
    assert state(placed)[0] == OrderStatus.SHIPPED
