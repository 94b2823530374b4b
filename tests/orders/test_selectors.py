"""Reads behind the order pages: the list's filters, search and keyset pages, one order, the actions
its state allows, and the entry screen's live quote."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from backoffice import roles
from inventory import services as inventory_services
from inventory.services import StockLine
from orders import selectors
from orders.models import Order, Payment
from orders.selectors import QuoteLineInput
from orders.services import lifecycle
from orders.services.placement import ShipmentInput, order_place
from orders.states import ALLOWED_TRANSITIONS, RETURNABLE, OrderStatus, PaymentStatus
from tests.crm.factories import CustomerFactory
from tests.inventory.factories import KitComponentFactory, KitFactory, WarehouseFactory
from tests.orders.factories import HOME, order
from tests.pricing.factories import CouponFactory

pytestmark = pytest.mark.django_db


def place(*lines, at=None, **fields):
    return order_place(data=order(*(lines or (("MUG", 1),)), **fields), at=at)


def numbers(page):
    return [o.number for o in page.orders]


@pytest.fixture(params=["today", "long ago"])
def placed(request, shop):
    """Four orders of the shop in distinct states; placed today, or in the past (the date filters and
    their id bounds must not depend on the dates being recent)."""
    at = None if request.param == "today" else datetime(2024, 3, 5, 12, tzinfo=UTC)
    customer = CustomerFactory(name="Ann Lee", email="ann@example.test")
    orders = {
        "ready": place(("MUG", 1), at=at, customer_id=customer.pk, email="ann@example.test"),
        "held": place(("PLATE", 1), at=at, payment_method="prepaid", customer_name="Bob Stone", email="bob@ex.test"),
        "paid": place(
            ("MUG", 2),
            at=at,
            payment_method="prepaid",
            paid_reference="CARD-1",
            channel="web",
            external_id="WEB-77",
            customer_name="Cleo Stonebridge",
            email="cleo@ex.test",
        ),
        "pickup": place(
            ("PLATE", 1),
            at=at,
            customer_name="Dan Roe",
            email="dan@ex.test",
            shipments=(ShipmentInput(pickup_warehouse="BRS"),),
        ),
    }
    lifecycle.order_cancel(order_id=orders["pickup"].pk, reason="changed their mind")
    return {name: Order.objects.get(pk=o.pk) for name, o in orders.items()}


def test_the_list_is_newest_first_in_keyset_pages(placed):
    first = selectors.order_list(limit=3)
    second = selectors.order_list(limit=3, before=first.next_before)

    everything = [o.number for o in sorted(placed.values(), key=lambda o: -o.pk)]
    assert numbers(first) + numbers(second) == everything
    assert first.next_before == first.orders[-1].pk
    assert second.next_before is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": OrderStatus.READY}, ["paid", "ready"]),
        ({"status": OrderStatus.ON_HOLD}, ["held"]),
        ({"status": OrderStatus.CANCELLED}, ["pickup"]),
        ({"channel": "web"}, ["paid"]),
        ({"hold_reason": "payment_pending"}, ["held"]),
        ({"payment_status": PaymentStatus.PAID}, ["paid"]),
        ({"payment_status": PaymentStatus.UNPAID, "channel": "phone"}, ["pickup", "held", "ready"]),
        ({"status": OrderStatus.READY, "channel": "phone"}, ["ready"]),
    ],
)
def test_filters(placed, filters, expected):
    assert numbers(selectors.order_list(**filters)) == [placed[name].number for name in expected]


def test_the_warehouse_filter_finds_orders_with_a_shipment_from_it(placed, shop):
    from_bristol = selectors.order_list(warehouse_id=shop["bristol"].pk)
    from_leeds = selectors.order_list(warehouse_id=shop["leeds"].pk)
    empty = WarehouseFactory(code="GLA")

    assert numbers(from_bristol) == [placed["pickup"].number]
    assert numbers(from_leeds) == [placed[name].number for name in ("paid", "held", "ready")]
    assert selectors.order_list(warehouse_id=empty.pk).orders == []


def test_the_customer_filter(placed):
    assert numbers(selectors.order_list(customer_id=placed["ready"].customer_id)) == [placed["ready"].number]


def test_dates_include_both_days(shop):
    days = [datetime(2025, 1, day, hour, tzinfo=UTC) for day, hour in ((1, 0), (2, 9), (3, 23), (4, 12))]
    orders = [place(("MUG", 1), at=at) for at in days]

    middle = selectors.order_list(placed_from=date(2025, 1, 2), placed_to=date(2025, 1, 3))
    from_third = selectors.order_list(placed_from=date(2025, 1, 3))
    to_first = selectors.order_list(placed_to=date(2025, 1, 1))
    none = selectors.order_list(placed_from=date(2025, 2, 1))

    assert numbers(middle) == [orders[2].number, orders[1].number]
    assert numbers(from_third) == [orders[3].number, orders[2].number]
    assert numbers(to_first) == [orders[0].number]
    assert none.orders == [] and none.next_before is None


def test_dates_whose_orders_were_numbered_out_of_order_are_all_found(shop):
    # An import may place an old order after newer ones: ids and dates need not rise together.
    late_but_old = [place(("MUG", 1), at=datetime(2025, 1, 2, tzinfo=UTC))]
    recent = place(("MUG", 1), at=datetime(2025, 6, 1, tzinfo=UTC))
    late_but_old.append(place(("MUG", 1), at=datetime(2025, 1, 3, tzinfo=UTC)))

    found = selectors.order_list(placed_from=date(2025, 1, 1), placed_to=date(2025, 1, 31), limit=1)
    rest = selectors.order_list(placed_from=date(2025, 1, 1), placed_to=date(2025, 1, 31), before=found.next_before)

    assert numbers(found) + numbers(rest) == [late_but_old[1].number, late_but_old[0].number]
    assert recent.number not in numbers(found) + numbers(rest)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ann", ["ready"]),  # a word of the name, as a prefix
        ("STONE", ["paid", "held"]),  # the last word is a prefix: Stone and Stonebridge
        ("cleo stoneb", ["paid"]),  # all words; the last as typed so far
        ("bob@ex", ["held"]),  # the start of the e-mail address
        ("WEB-77", ["paid"]),  # the channel's order id, exactly
        ("web-7", []),  # part of an external id is no match
        ("zzz", []),
    ],
)
def test_search(placed, query, expected):
    assert numbers(selectors.order_list(query=query)) == [placed[name].number for name in expected]


def test_search_by_number(placed):
    number = placed["held"].number
    year, sequence = number.split("-")[1:]

    assert numbers(selectors.order_list(query=number.lower())) == [number]
    assert numbers(selectors.order_list(query=number[:-1])) == [
        o.number for o in sorted(placed.values(), key=lambda o: -o.pk) if o.number.startswith(number[:-1])
    ]
    if int(year) == datetime.now(UTC).year:
        # Only the number ("order 2 please"): this year's or last year's.
        assert numbers(selectors.order_list(query=str(int(sequence)))) == [number]


def test_search_combines_with_filters_and_pages(placed):
    assert numbers(selectors.order_list(query="stone", status=OrderStatus.READY)) == [placed["paid"].number]
    assert numbers(selectors.order_list(query="bob", channel="web")) == []

    first = selectors.order_list(query="stone", limit=1)
    second = selectors.order_list(query="stone", limit=1, before=first.next_before)
    assert numbers(first) + numbers(second) == [placed["paid"].number, placed["held"].number]
    assert second.next_before is None


@pytest.mark.parametrize(
    "filters",
    [{}, {"status": "ready"}, {"query": "lee"}, {"placed_from": date(2020, 1, 1)}, {"warehouse_id": -1}],
)
def test_the_number_of_queries_does_not_grow_with_the_page(shop, django_assert_num_queries, filters):
    for _ in range(6):
        place(("MUG", 1), shipments=(ShipmentInput(ship_to=HOME, lines=((0, 1),)),))
    if filters.get("warehouse_id"):
        filters = {"warehouse_id": shop["leeds"].pk}
    # The orders and their shipments; a search first finds its ids (a one-word name on a first page also
    # looks up the newest id, for its windows), dates their range of ids.
    expected = 2 + 2 * ("query" in filters) + ("placed_from" in filters)

    with django_assert_num_queries(expected):
        small = selectors.order_list(limit=2, **filters)
    with django_assert_num_queries(expected):
        large = selectors.order_list(limit=50, **filters)

    assert len(small.orders) == 2
    assert len(large.orders) == 6
    assert all(o.listed_shipments for o in large.orders)


def test_one_order_with_everything_its_page_shows(placed, django_assert_num_queries):
    number = placed["paid"].number

    with django_assert_num_queries(6):
        found = selectors.order_get(number=number.lower())
        assert [line.sku for line in found.lines.all()] == ["MUG"]
        assert [s.warehouse.code for s in found.shipments.all()] == ["LDS"]
        assert [line.order_line.sku for s in found.shipments.all() for line in s.lines.all()] == ["MUG"]
        assert [p.kind for p in found.payments.all()] == [Payment.Kind.CAPTURE]
        assert [e.kind for e in found.events.all()] == ["placed", "status"]
    assert found.paid_amount == found.total_amount
    assert found.due_amount == D("0.00")
    assert selectors.order_get(number="SO-1999-000001") is None


@pytest.mark.parametrize("status", list(OrderStatus))
def test_actions_follow_the_transition_table(shop, staff_user, status):
    clerk, warehouse = staff_user(roles.CLERK), staff_user(roles.WAREHOUSE)
    accountant = staff_user(roles.ACCOUNTANT)
    subject = Order(status=status, payment_status=PaymentStatus.UNPAID)
    allowed = ALLOWED_TRANSITIONS[status]

    actions = selectors.order_actions(order=subject, user=clerk)

    assert actions.hold == (OrderStatus.ON_HOLD in allowed)
    assert actions.release == (status == OrderStatus.ON_HOLD)
    assert actions.cancel == (OrderStatus.CANCELLED in allowed)
    assert actions.record_payment == (status != OrderStatus.CANCELLED)
    assert actions.start_return == (status in RETURNABLE)
    # Warehouse staff ship; nothing else.
    by_warehouse = selectors.order_actions(order=subject, user=warehouse)
    shippable = {OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED}
    assert by_warehouse.ship == (status in shippable)
    assert not (by_warehouse.edit or by_warehouse.hold or by_warehouse.cancel or by_warehouse.start_return)
    by_accountant = selectors.order_actions(order=subject, user=accountant)
    assert not (by_accountant.hold or by_accountant.release or by_accountant.cancel or by_accountant.ship)
    assert by_accountant.record_payment == (status != OrderStatus.CANCELLED)


def test_no_payment_is_offered_once_paid(staff_user):
    paid = Order(status=OrderStatus.READY, payment_status=PaymentStatus.PAID)
    assert not selectors.order_actions(order=paid, user=staff_user(roles.MANAGER)).record_payment


def test_the_quote_shows_stock_per_warehouse_and_prices_with_the_engine(shop):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    kit = KitFactory(sku="SET", list_price=D("30.00"))
    KitComponentFactory(kit=kit, component=shop["mug"], quantity=2)
    KitComponentFactory(kit=kit, component=shop["plate"], quantity=1)
    lines = [
        QuoteLineInput("mug", 3),
        QuoteLineInput("SET", 1),
        QuoteLineInput("PLATE", 20, allow_backorder=True),
        QuoteLineInput("NOPE", 1),
    ]

    quote = selectors.order_entry_quote(
        lines=lines, channel="phone", coupon_codes=("tenoff",), shipping_price=D("4.95"), shipping_method="standard"
    )

    assert [w.code for w in quote.warehouses] == ["BRS", "LDS"]
    assert [(line.sku, line.stock) for line in quote.lines] == [
        ("MUG", [4, 10]),
        ("SET", [2, 5]),  # two mugs and a plate each: Bristol's 4 mugs make 2
        ("PLATE", [4, 10]),
        ("NOPE", [0, 0]),
    ]
    assert quote.lines[3].product is None
    assert [(line.sku, line.short_by) for line in quote.shortages] == [("PLATE", 6)]
    priced = quote.priced
    # 3 x 12.00 + 30.00 + 20 x 20.00 - 10.00 + 4.95
    assert priced.total == D("36.00") + D("30.00") + D("400.00") - D("10.00") + D("4.95")
    assert priced.applied_coupons == ("tenoff",)  # as typed
    assert any("10.00 off the order" in line for line in priced.explanations)


def test_the_quote_uses_the_customers_tier_and_refuses_unknown_coupons(shop):
    customer = CustomerFactory()
    quote = selectors.order_entry_quote(
        lines=[QuoteLineInput("MUG", 1)], customer=customer, channel="phone", coupon_codes=("NOPE",)
    )
    empty = selectors.order_entry_quote(lines=[], channel="phone")

    assert quote.priced.rejected_coupons == (("NOPE", "unknown code"),)
    assert quote.priced.total == D("12.00")
    assert empty.priced is None and empty.lines == []


def test_a_levels_change_shows_in_the_next_quote(shop):
    inventory_services.stock_receive(warehouse_id=shop["bristol"].pk, lines=[StockLine(shop["mug"].pk, 6)])
    quote = selectors.order_entry_quote(lines=[QuoteLineInput("MUG", 1)], channel="phone")
    assert quote.lines[0].stock == [10, 10]
