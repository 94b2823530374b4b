"""Placing orders through the service layer, against real PostgreSQL."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from inventory.exceptions import InsufficientStock, Shortage
from inventory.models import StockLevel, StockMovement
from orders.exceptions import DuplicateOrder, InvalidOrder
from orders.models import Order, OrderEvent
from orders.services.lifecycle import order_payment_record
from orders.services.placement import AddressInput, LineInput, ShipmentInput, order_place
from orders.states import HoldReason, OrderStatus, PaymentStatus
from pricing.models import CouponRedemption
from tests.orders.factories import HOME, OFFICE, order
from tests.pricing.factories import CouponFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def reserved(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse).reserved


def test_a_cash_on_delivery_order_is_priced_reserved_numbered_and_ready(shop, staff_user):
    clerk = staff_user("Clerk")

    placed = order_place(data=order(("mug", 2), ("PLATE", 1)), actor=clerk)

    assert placed.number == f"SO-{timezone.now().year}-000001"
    assert (placed.status, placed.payment_status) == (OrderStatus.READY, PaymentStatus.UNPAID)
    assert placed.email == "ann@example.test"
    assert [(line.sku, line.quantity, line.total_amount) for line in placed.lines.all()] == [
        ("MUG", 2, D("24.00")),
        ("PLATE", 1, D("20.00")),
    ]
    # 44.00 of goods include 7.33 of VAT; shipping is untaxed (no shipping tax class in the policy).
    assert (placed.shipping_amount, placed.total_amount, placed.tax_amount) == (D("4.95"), D("48.95"), D("7.33"))
    (shipment,) = placed.shipments.all()
    assert (shipment.warehouse, shipment.status) == (shop["leeds"], "ready")
    assert (reserved(shop["mug"], shop["leeds"]), reserved(shop["plate"], shop["leeds"])) == (2, 1)
    assert StockMovement.objects.filter(source_type="orders.order", source_id=str(placed.pk)).count() == 2
    assert list(placed.events.values_list("kind", flat=True)) == ["placed", "status"]
    assert placed.events.first().actor == clerk


def test_prepaid_without_payment_waits_on_hold_and_with_payment_is_ready(shop):
    waiting = order_place(data=order(("MUG", 1), payment_method="prepaid"))
    paid = order_place(data=order(("MUG", 1), payment_method="prepaid", paid_reference="card-7731"))

    assert (waiting.status, waiting.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.PAYMENT_PENDING)
    assert (paid.status, paid.payment_status) == (OrderStatus.READY, PaymentStatus.PAID)
    assert paid.payments.get().reference == "card-7731"
    assert waiting.number.endswith("000001") and paid.number.endswith("000002")


def test_on_account_beyond_the_credit_limit_goes_on_credit_hold(shop):
    customer = CustomerFactory(credit_limit_amount=D("50.00"))
    first = order_place(data=order(("PLATE", 2), customer_id=customer.pk, payment_method="account"))  # 44.95
    second = order_place(data=order(("PLATE", 1), customer_id=customer.pk, payment_method="account"))

    assert first.status == OrderStatus.READY
    assert (second.status, second.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.CREDIT_LIMIT)


def test_the_credit_limit_counts_what_is_still_owed_on_partly_paid_orders(shop):
    customer = CustomerFactory(credit_limit_amount=D("50.00"))
    first = order_place(data=order(("PLATE", 2), customer_id=customer.pk, payment_method="account"))  # 44.95
    order_payment_record(order_id=first.pk, amount=D("30.00"), reference="bank 1")  # 14.95 still owed
    # 14.95 + 24.95 = 39.90 is within 50.00 (counting the first order's whole total, 69.90, would hold
    # it); a third order of 44.95 takes the balance to 84.85.
    second = order_place(data=order(("PLATE", 1), customer_id=customer.pk, payment_method="account"))
    third = order_place(data=order(("PLATE", 2), customer_id=customer.pk, payment_method="account"))

    assert second.status == OrderStatus.READY
    assert (third.status, third.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.CREDIT_LIMIT)


def test_the_same_external_id_twice_is_refused_with_the_first_number(shop):
    first = order_place(data=order(("MUG", 1), channel="web", external_id="shop-1001"))

    with pytest.raises(DuplicateOrder) as duplicate:
        order_place(data=order(("MUG", 1), channel="web", external_id="shop-1001"))

    assert duplicate.value.number == first.number
    assert Order.objects.count() == 1
    assert reserved(shop["mug"], shop["leeds"]) == 1


def test_short_stock_refuses_the_order_and_changes_nothing(shop):
    with pytest.raises(InsufficientStock) as short:
        order_place(data=order(("MUG", 1), ("PLATE", 15)))

    assert short.value.shortages == [Shortage("PLATE", "all warehouses", 15, 14)]
    assert not Order.objects.exists()
    assert not StockMovement.objects.filter(kind="reservation").exists()


def test_the_fewest_warehouses_ship_a_large_order_and_backorders_wait(shop):
    placed = order_place(data=order(("MUG", 12), ("PLATE", 16, True)))

    shipments = {s.warehouse.code: s for s in placed.shipments.all()}
    assert set(shipments) == {"LDS", "BRS"}
    assert (reserved(shop["mug"], shop["leeds"]), reserved(shop["mug"], shop["bristol"])) == (10, 2)
    plate = placed.lines.get(sku="PLATE")
    assert plate.backordered_quantity == 2
    assert reserved(shop["plate"], shop["leeds"]) + reserved(shop["plate"], shop["bristol"]) == 14


def test_two_addresses_a_pick_up_and_a_coupon(shop):
    customer = CustomerFactory()
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    shipments = (
        ShipmentInput(ship_to=HOME, shipping_method="Standard", shipping_price=D("4.95"), lines=((0, 1),)),
        ShipmentInput(ship_to=OFFICE, shipping_method="Next day", shipping_price=D("9.95"), lines=((0, 1), (1, 2))),
        ShipmentInput(pickup_warehouse="brs", lines=((1, 1),)),
    )

    placed = order_place(
        data=order(("MUG", 2), ("PLATE", 3), shipments=shipments, coupon_codes=("tenoff",), customer_id=customer.pk)
    )

    parts = [
        (s.ship_to.get("city", ""), s.is_pickup, s.warehouse.code, s.shipping_amount) for s in placed.shipments.all()
    ]
    assert parts == [
        ("Leeds", False, "LDS", D("4.95")),
        ("Bristol", False, "LDS", D("9.95")),
        ("", True, "BRS", D("0")),
    ]
    assert placed.total_amount == D("24.00") + D("60.00") - D("10.00") + D("14.90")
    assert CouponRedemption.objects.get().source_id == str(placed.pk)
    assert reserved(shop["plate"], shop["bristol"]) == 1


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"lines": ()}, {"lines": "an order needs at least one line"}),
        ({"lines": (LineInput("NOPE", 1),)}, {"lines[0].sku": "unknown SKU 'NOPE'"}),
        ({"lines": (LineInput("MUG", 0),)}, {"lines[0].quantity": "must be a whole number of 1 or more"}),
        ({"channel": "fax"}, {"channel": "must be one of web, phone, trade_show, pos, marketplace, api"}),
        ({"shipments": (ShipmentInput(pickup_warehouse="LDS"),)},
         {"shipments[0].pickup_warehouse": "customers cannot pick up at 'LDS'"}),
        ({"shipments": (ShipmentInput(ship_to=AddressInput("A", "", "Leeds", "LS1", "United Kingdom")),)},
         {"shipments[0].ship_to.line1": "required",
          "shipments[0].ship_to.country": "an ISO 3166-1 alpha-2 code such as GB"}),
        ({"payment_method": "account"}, {"payment.method": "only a known customer can buy on account"}),
        ({"coupon_codes": ("NOPE",)}, {"coupon_codes[0]": "unknown code"}),
    ],
)  # fmt: skip
def test_invalid_input_is_refused_with_field_paths(shop, changes, errors):
    with pytest.raises(InvalidOrder) as invalid:
        order_place(data=order(("MUG", 1), **changes))
    assert invalid.value.errors == errors
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


def test_an_inactive_customer_is_refused_on_the_customer_field(shop):
    customer = CustomerFactory(name="Ann Lee", is_active=False)

    with pytest.raises(InvalidOrder) as invalid:
        order_place(data=order(("MUG", 1), customer_id=customer.pk, payment_method="account"))

    assert invalid.value.errors == {"customer": "Ann Lee is inactive: reactivate the customer to take an order"}
    assert not Order.objects.exists()
    assert reserved(shop["mug"], shop["leeds"]) == 0
