"""How the order list stays quick with a million orders, shown small: a name is searched in windows of
ids, a date range is bounded by the UTC days around it, the warehouse filter is a semi-join; none of it
may leave a matching order out or let another in."""

from datetime import UTC, date, datetime

import pytest

from orders import selectors
from orders.services.placement import ShipmentInput, order_place
from tests.orders.factories import order

pytestmark = pytest.mark.django_db


def place(name, at=None, **fields):
    return order_place(data=order(("MUG", 1), customer_name=name, **fields), at=at)


def numbers(page):
    return [o.number for o in page.orders]


def test_a_one_word_name_is_searched_in_windows_of_ids_newest_first(shop, monkeypatch):
    # Windows of two ids: the two newest orders, then every older one.
    monkeypatch.setattr(selectors, "NAME_WINDOW", 2)
    smiths = [place("Jo Smith"), place("Jo Smith"), place("Jo Smith")]
    lees = [place("Ann Lee")]
    smiths.append(place("Al Smithson"))
    lees.append(place("Ann Lee"))

    first = selectors.order_list(query="smith", limit=3)
    rest = selectors.order_list(query="smith", limit=3, before=first.next_before)

    assert numbers(first) + numbers(rest) == [o.number for o in reversed(smiths)]
    assert rest.next_before is None
    # One from the newest window, one from the older one.
    assert numbers(selectors.order_list(query="lee")) == [o.number for o in reversed(lees)]


def test_windows_stay_within_the_dates_and_the_page_before(shop, monkeypatch):
    monkeypatch.setattr(selectors, "NAME_WINDOW", 1)
    january = [place("Jo Smith", at=datetime(2025, 1, day, 12, tzinfo=UTC)) for day in (2, 3, 4)]
    place("Jo Smith", at=datetime(2025, 2, 1, 12, tzinfo=UTC))

    found = selectors.order_list(
        query="smith", placed_from=date(2025, 1, 1), placed_to=date(2025, 1, 31), before=january[2].pk
    )

    assert numbers(found) == [january[1].number, january[0].number]


def test_a_date_range_is_the_shops_days_in_summer_time_too(shop, settings):
    settings.TIME_ZONE = "Europe/London"
    # 23:30 UTC on 1 July is 00:30 on 2 July in London: the UTC day and the shop's day differ.
    second_of_july = place("A", at=datetime(2025, 7, 1, 23, 30, tzinfo=UTC))
    first_of_july = place("B", at=datetime(2025, 7, 1, 22, 30, tzinfo=UTC))

    assert numbers(selectors.order_list(placed_from=date(2025, 7, 2), placed_to=date(2025, 7, 2))) == [
        second_of_july.number
    ]
    assert numbers(selectors.order_list(placed_to=date(2025, 7, 1))) == [first_of_july.number]
    assert numbers(selectors.order_list(placed_from=date(2025, 7, 1))) == [first_of_july.number, second_of_july.number]
    assert selectors.order_list(placed_from=date(2025, 7, 3)).orders == []


def test_the_warehouse_filter_goes_with_a_search_and_other_filters(shop):
    leeds = place("Jo Smith")
    bristol = place("Jo Smith", shipments=(ShipmentInput(pickup_warehouse="BRS"),))
    place("Ann Lee", shipments=(ShipmentInput(pickup_warehouse="BRS"),))

    assert numbers(selectors.order_list(query="smith", warehouse_id=shop["bristol"].pk)) == [bristol.number]
    assert numbers(selectors.order_list(query="smith", warehouse_id=shop["leeds"].pk)) == [leeds.number]
    assert numbers(selectors.order_list(status="ready", channel="phone", warehouse_id=shop["leeds"].pk)) == [
        leeds.number
    ]
    assert selectors.order_list(status="cancelled", warehouse_id=shop["bristol"].pk).orders == []


def test_a_word_of_one_or_two_letters_is_a_whole_word_not_a_prefix(shop):
    al = place("Al Smith")
    place("Alice Brown")

    assert numbers(selectors.order_list(query="al")) == [al.number]
    assert len(selectors.order_list(query="ali").orders) == 1
