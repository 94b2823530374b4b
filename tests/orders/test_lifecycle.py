"""Holds, payments and cancellation after placing."""

from decimal import Decimal as D

import pytest

from inventory.models import StockLevel
from orders.exceptions import InvalidTransition, OrderError
from orders.models import Order
from orders.services.lifecycle import order_cancel, order_hold, order_payment_record, order_release_hold
from orders.services.placement import order_place
from orders.states import HoldReason, OrderStatus, PaymentStatus
from pricing.models import Coupon
from tests.orders.factories import order
from tests.pricing.factories import CouponFactory

pytestmark = pytest.mark.django_db


def statuses(placed):
    placed.refresh_from_db()
    return placed.status, placed.hold_reason, set(placed.shipments.values_list("status", flat=True))


def test_a_manual_hold_and_its_release(shop, staff_user):
    manager = staff_user("Manager")
    placed = order_place(data=order(("MUG", 1)))

    order_hold(order_id=placed.pk, reason=HoldReason.ADDRESS_CHECK, actor=manager, note="flat number missing")
    assert statuses(placed) == (OrderStatus.ON_HOLD, HoldReason.ADDRESS_CHECK, {"pending"})

    order_release_hold(order_id=placed.pk, actor=manager)
    assert statuses(placed) == (OrderStatus.READY, "", {"ready"})
    assert list(placed.events.values_list("message", flat=True))[-2:] == [
        "On hold: Address to check (flat number missing)",
        "Released from address to check",
    ]


def test_paying_a_pending_prepaid_order_releases_its_hold(shop):
    placed = order_place(data=order(("MUG", 2), payment_method="prepaid"))  # 28.95
    with pytest.raises(OrderError, match="not paid yet"):
        order_release_hold(order_id=placed.pk)

    order_payment_record(order_id=placed.pk, amount=D("20.00"), reference="bank 1")
    assert statuses(placed)[0] == OrderStatus.ON_HOLD
    order_payment_record(order_id=placed.pk, amount=D("8.95"), reference="bank 2")

    assert statuses(placed) == (OrderStatus.READY, "", {"ready"})
    assert placed.payment_status == PaymentStatus.PAID


def test_cancelling_gives_back_stock_and_coupon_uses(shop):
    CouponFactory(code="ONCE", usage_limit=1, promotion__kind="order_fixed", promotion__value=D("1.00"))
    placed = order_place(data=order(("MUG", 3), ("PLATE", 12), coupon_codes=("ONCE",)))
    assert sum(StockLevel.objects.filter(product=shop["plate"]).values_list("reserved", flat=True)) == 12

    order_cancel(order_id=placed.pk, reason="Customer changed their mind")

    assert statuses(placed) == (OrderStatus.CANCELLED, "", {"cancelled"})
    assert set(StockLevel.objects.values_list("reserved", flat=True)) == {0}
    assert Coupon.objects.get(code="ONCE").times_used == 0
    assert placed.events.last().message == "Cancelled: Customer changed their mind"


def test_a_cancellation_needs_a_reason_and_an_unshipped_order(shop):
    placed = order_place(data=order(("MUG", 1)))
    with pytest.raises(OrderError, match="Say why"):
        order_cancel(order_id=placed.pk, reason=" ")
    Order.objects.filter(pk=placed.pk).update(status=OrderStatus.SHIPPED)
    with pytest.raises(InvalidTransition):
        order_cancel(order_id=placed.pk, reason="too late")
