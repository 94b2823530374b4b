"""Returns: authorise shipped units, receive them to stock or quarantine, refund or credit."""

from decimal import Decimal as D

import pytest

from inventory.models import BinStock, StockLevel
from orders.exceptions import InvalidOrder, OrderError
from orders.models import CreditNote, ReturnAuthorisation, ShipmentLine
from orders.selectors import customer_open_balance
from orders.services.lifecycle import order_payment_record
from orders.services.placement import ShipmentInput, order_place
from orders.services.returns import (
    ReturnReceipt,
    ReturnRequest,
    return_authorise,
    return_cancel,
    return_receive,
    return_settle,
)
from orders.services.shipping import shipment_deliver, shipment_ship
from orders.states import OrderStatus, PaymentStatus, ReturnStatus
from tests.crm.factories import CustomerFactory
from tests.inventory.factories import BinFactory
from tests.orders.factories import HOME, order
from tests.pricing.factories import CouponFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bins(shop):
    return {
        "shelf": BinFactory(warehouse=shop["leeds"], code="R-01"),
        "quarantine": BinFactory(warehouse=shop["leeds"], code="Q-01", is_quarantine=True),
    }


def delivered(data):
    placed = order_place(data=data)
    for shipment in placed.shipments.all():
        shipment_ship(shipment_id=shipment.pk, carrier="DPD")
        shipment_deliver(shipment_id=shipment.pk)
    placed.refresh_from_db()
    return placed


def shipped_line(placed, sku):
    return placed.shipments.get().lines.get(order_line__sku=sku)


def test_the_whole_return_of_a_prepaid_order_restocks_quarantines_and_refunds_to_the_cent(shop, bins, staff_user):
    clerk, accountant = staff_user("Clerk"), staff_user("Accountant")
    placed = delivered(order(("MUG", 3), ("PLATE", 1), payment_method="prepaid", paid_reference="card 9"))
    assert (placed.status, placed.payment_status) == (OrderStatus.COMPLETED, PaymentStatus.PAID)
    mug_line = shipped_line(placed, "MUG")

    rma = return_authorise(
        order_id=placed.pk, lines=[ReturnRequest(mug_line.pk, 3, "defective")], note="two chipped", actor=clerk
    )
    assert rma.number.startswith("RMA-") and rma.status == ReturnStatus.AUTHORISED
    line = rma.lines.get()
    return_receive(
        rma_id=rma.pk,
        receipts=[ReturnReceipt(line.pk, 3, "sellable", bins["shelf"].pk)],
        actor=clerk,
    )
    # A second receipt of the same return is refused.
    with pytest.raises(OrderError, match="cannot be received again"):
        return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(line.pk, 3)])

    assert BinStock.objects.get(bin=bins["shelf"], product=shop["mug"]).on_hand == 3
    placed.refresh_from_db()
    assert placed.status == OrderStatus.PARTIALLY_RETURNED
    rma.refresh_from_db()
    assert rma.lines.get().value_amount == D("36.00")  # 3 x 12.00, tax included

    return_settle(rma_id=rma.pk, settlement="refund", reference="PSP re_81", actor=accountant)

    placed.refresh_from_db()
    rma.refresh_from_db()
    assert (rma.status, rma.settled_amount) == (ReturnStatus.REFUNDED, D("36.00"))
    assert placed.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert list(placed.payments.filter(kind="refund").values_list("amount", "reference")) == [(D("36.00"), "PSP re_81")]
    messages = list(placed.events.values_list("message", flat=True))
    assert f"Return {rma.number} authorised: 3 x MUG" in messages
    assert f"Refunded 36.00 for return {rma.number} (PSP re_81)" in messages


def test_damaged_units_go_to_quarantine_and_every_unit_back_makes_the_order_returned(shop, bins):
    placed = delivered(order(("PLATE", 2)))  # cash on delivery, collected on delivery
    plate = shipped_line(placed, "PLATE")
    level_before = StockLevel.objects.get(product=shop["plate"], warehouse=shop["leeds"])

    first = return_authorise(order_id=placed.pk, lines=[ReturnRequest(plate.pk, 1, "damaged")])
    with pytest.raises(InvalidOrder) as refused:
        return_authorise(order_id=placed.pk, lines=[ReturnRequest(plate.pk, 2, "damaged")])
    assert refused.value.errors == {"lines[0].quantity": "Only 1 may still be returned."}
    return_receive(rma_id=first.pk, receipts=[ReturnReceipt(first.lines.get().pk, 1, "damaged")])
    second = return_authorise(order_id=placed.pk, lines=[ReturnRequest(plate.pk, 1, "not_needed")])
    return_receive(rma_id=second.pk, receipts=[ReturnReceipt(second.lines.get().pk, 1, "sellable")])

    level = StockLevel.objects.get(product=shop["plate"], warehouse=shop["leeds"])
    assert (level.on_hand - level_before.on_hand, level.quarantined - level_before.quarantined) == (1, 1)
    assert BinStock.objects.get(bin=bins["quarantine"], product=shop["plate"]).on_hand == 1
    placed.refresh_from_db()
    assert placed.status == OrderStatus.RETURNED
    # The two units' shares add up to the line's total (40.00) to the cent.
    assert first.lines.get().value_amount + second.lines.get().value_amount == D("40.00")


def test_on_account_orders_are_credited_with_a_credit_note(shop, bins):
    customer = CustomerFactory(credit_limit_amount=D("500.00"))
    placed = delivered(order(("MUG", 2), payment_method="account", customer_id=customer.pk))
    rma = return_authorise(order_id=placed.pk, lines=[ReturnRequest(shipped_line(placed, "MUG").pk, 1, "wrong_item")])
    return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(rma.lines.get().pk, 1)])

    with pytest.raises(InvalidOrder) as refused:
        return_settle(rma_id=rma.pk, settlement="refund", reference="x")
    assert "credit note instead" in refused.value.errors["settlement"]

    return_settle(rma_id=rma.pk, settlement="credit", amount=D("10.00"))  # less a restocking fee

    note = CreditNote.objects.get()
    assert (note.amount, note.customer_id, note.rma_id) == (D("10.00"), customer.pk, rma.pk)
    assert note.number.startswith("CN-")
    placed.refresh_from_db()
    assert placed.payment_status == PaymentStatus.PARTIALLY_REFUNDED

    order_payment_record(order_id=placed.pk, amount=placed.total_amount - D("10.00"), reference="bank")
    placed.refresh_from_db()
    assert placed.payment_status == PaymentStatus.PARTIALLY_REFUNDED


def test_bad_returns_change_nothing(shop, bins):
    unshipped = order_place(data=order(("MUG", 1)))
    with pytest.raises(OrderError, match="nothing has shipped"):
        return_authorise(order_id=unshipped.pk, lines=[ReturnRequest(1, 1, "other")])

    placed = delivered(order(("MUG", 1)))
    line = shipped_line(placed, "MUG")
    with pytest.raises(InvalidOrder) as refused:
        return_authorise(
            order_id=placed.pk,
            lines=[ReturnRequest(line.pk, 1, "bored"), ReturnRequest(999999, 1, "other")],
        )
    assert refused.value.errors == {
        "lines[0].reason": "Choose why the units come back.",
        "lines[1]": "Not a line of a shipped shipment of this order.",
    }
    assert not ReturnAuthorisation.objects.exists()

    rma = return_authorise(order_id=placed.pk, lines=[ReturnRequest(line.pk, 1, "other")])
    on_hand = StockLevel.objects.get(product=shop["mug"], warehouse=shop["leeds"]).on_hand
    with pytest.raises(InvalidOrder) as refused:
        return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(rma.lines.get().pk, 2)])
    assert refused.value.errors == {"lines[0].quantity": "Enter how many of the 1 authorised came back."}
    with pytest.raises(InvalidOrder):
        return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(rma.lines.get().pk, 1, "damaged", bins["shelf"].pk)])
    assert StockLevel.objects.get(product=shop["mug"], warehouse=shop["leeds"]).on_hand == on_hand
    with pytest.raises(OrderError, match="only a received return"):
        return_settle(rma_id=rma.pk, settlement="credit")

    return_cancel(rma_id=rma.pk, reason="never sent")
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.CANCELLED
    # Cancelled authorisations free the units to be returned again.
    assert return_authorise(order_id=placed.pk, lines=[ReturnRequest(line.pk, 1, "other")]).lines.get().quantity == 1


def test_the_open_balance_on_account_counts_payments_and_credit_notes(shop, bins):
    customer = CustomerFactory(credit_limit_amount=D("1000.00"))
    first = delivered(order(("MUG", 2), payment_method="account", customer_id=customer.pk))  # 28.95
    order_place(data=order(("PLATE", 1), payment_method="account", customer_id=customer.pk))  # 24.95
    order_place(data=order(("PLATE", 1), payment_method="cod", customer_id=customer.pk))  # not on account
    assert customer_open_balance(customer_id=customer.pk) == D("53.90")

    rma = return_authorise(order_id=first.pk, lines=[ReturnRequest(shipped_line(first, "MUG").pk, 1, "not_needed")])
    return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(rma.lines.get().pk, 1)])
    return_settle(rma_id=rma.pk, settlement="credit")  # 12.00
    order_payment_record(order_id=first.pk, amount=D("10.00"), reference="bank")

    assert customer_open_balance(customer_id=customer.pk) == D("31.90")  # 53.90 - 12.00 - 10.00


def test_units_of_one_line_shipped_apart_and_returned_together_give_back_the_line_total(shop, bins):
    CouponFactory(code="TWENTY", promotion__kind="order_fixed", promotion__value=D("20.00"))
    one_each = tuple(ShipmentInput(ship_to=HOME, lines=((0, 1),)) for _ in range(3))
    placed = order_place(data=order(("MUG", 3), shipments=one_each, coupon_codes=("TWENTY",)))
    line_total = placed.lines.get().total_amount
    assert line_total == D("16.00")  # 36.00 less 20.00: a third is 5.333...
    for shipment in placed.shipments.all():
        shipment_ship(shipment_id=shipment.pk, carrier="DPD")
    rows = ShipmentLine.objects.filter(shipment__order=placed).order_by("pk")

    rma = return_authorise(order_id=placed.pk, lines=[ReturnRequest(row.pk, 1, "not_needed") for row in rows])
    return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(line.pk, 1) for line in rma.lines.order_by("pk")])

    assert sorted(rma.lines.values_list("value_amount", flat=True)) == [D("5.33"), D("5.33"), D("5.34")]
