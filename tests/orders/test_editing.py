"""Changing placed orders: re-priced, reservations moved, the change on the timeline."""

from decimal import Decimal as D

import pytest

from inventory.models import StockLevel
from orders.exceptions import OrderError
from orders.services.editing import order_edit
from orders.services.lifecycle import order_cancel
from orders.services.placement import order_place
from orders.states import HoldReason, OrderStatus
from pricing.models import Coupon, CouponRedemption, Promotion
from tests.orders.factories import order
from tests.pricing.factories import CouponFactory, PromotionFactory

pytestmark = pytest.mark.django_db


def reserved(product):
    return sum(StockLevel.objects.filter(product=product).values_list("reserved", flat=True))


def test_a_spend_threshold_discount_goes_when_the_order_falls_below_it(shop, staff_user):
    PromotionFactory(name="Spend 100", kind=Promotion.Kind.SPEND_THRESHOLD, value=D("10"), min_subtotal=D("100"))
    placed = order_place(data=order(("PLATE", 5)))  # 100.00 - 10.00 + 4.95
    assert placed.total_amount == D("94.95")

    edited = order_edit(order_id=placed.pk, data=order(("PLATE", 4)), actor=staff_user("Clerk"))

    assert (edited.discount_amount, edited.total_amount) == (D("0.00"), D("84.95"))
    assert edited.pricing["order_adjustments"] == []
    assert reserved(shop["plate"]) == 4
    event = edited.events.last()
    assert event.message == "Order changed: PLATE 5 -> 4; total 94.95 -> 84.95"
    assert (event.old_value["total"], event.new_value["total"]) == ("94.95", "84.95")


def test_lines_added_and_removed_move_the_reservations(shop):
    placed = order_place(data=order(("MUG", 3), ("PLATE", 2)))

    order_edit(order_id=placed.pk, data=order(("PLATE", 12), ("MUG", 1)))

    assert (reserved(shop["mug"]), reserved(shop["plate"])) == (1, 12)
    placed.refresh_from_db()
    assert [(line.sku, line.quantity) for line in placed.lines.all()] == [("PLATE", 12), ("MUG", 1)]
    assert {s.warehouse.code for s in placed.shipments.all()} == {"LDS", "BRS"}  # 12 plates need both


def test_an_order_may_keep_its_own_single_use_coupon_and_drop_it(shop):
    CouponFactory(code="ONCE", usage_limit=1, promotion__kind="order_fixed", promotion__value=D("5.00"))
    placed = order_place(data=order(("MUG", 2), coupon_codes=("ONCE",)))

    kept = order_edit(order_id=placed.pk, data=order(("MUG", 3), coupon_codes=("once",)))
    assert kept.total_amount == D("36.00") - D("5.00") + D("4.95")
    assert Coupon.objects.get(code="ONCE").times_used == 1

    dropped = order_edit(order_id=placed.pk, data=order(("MUG", 3)))
    assert dropped.total_amount == D("40.95")
    assert Coupon.objects.get(code="ONCE").times_used == 0
    assert CouponRedemption.objects.get().released_at is not None


def test_a_paid_order_that_grows_waits_for_the_difference(shop):
    placed = order_place(data=order(("MUG", 1), payment_method="prepaid", paid_reference="card-1"))
    assert placed.status == OrderStatus.READY

    edited = order_edit(order_id=placed.pk, data=order(("MUG", 2), payment_method="prepaid"))

    assert (edited.status, edited.hold_reason, edited.payment_status) == (
        OrderStatus.ON_HOLD,
        HoldReason.PAYMENT_PENDING,
        "unpaid",
    )


def test_short_stock_on_edit_changes_nothing(shop):
    from inventory.exceptions import InsufficientStock

    placed = order_place(data=order(("MUG", 2)))
    with pytest.raises(InsufficientStock):
        order_edit(order_id=placed.pk, data=order(("MUG", 20)))
    placed.refresh_from_db()
    assert [(line.sku, line.quantity) for line in placed.lines.all()] == [("MUG", 2)]
    assert reserved(shop["mug"]) == 2


def test_a_cancelled_order_cannot_be_changed(shop):
    placed = order_place(data=order(("MUG", 1)))
    order_cancel(order_id=placed.pk, reason="duplicate")
    with pytest.raises(OrderError, match="cancelled and can no longer be changed"):
        order_edit(order_id=placed.pk, data=order(("MUG", 2)))
