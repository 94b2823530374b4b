"""ShipStation's Custom Store endpoint (/integrations/shipstation/): its credentials, the Orders XML
export checked against the element tables of ../shared/specs/shipstation_custom_store.md, and ship
notices: shipping, partial shipments, retries, refusals and hostile XML."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from backoffice import roles
from backoffice.money import quantize
from inventory.models import StockLevel
from inventory.services import StockLine, stock_receive
from orders.models import Order, OrderEvent, Parcel, Shipment, ShipStationAccount, ShipStationNotice
from orders.services.labels import parcel_ship
from orders.services.lifecycle import order_cancel, order_hold
from orders.services.placement import ShipmentInput, order_place
from orders.services.shipstation import NoticeItem, ShipNoticeInput, notice_fingerprint
from orders.shipstation import auth as auth_module
from orders.shipstation import export as export_module
from orders.states import HoldReason, OrderStatus, ShipmentStatus
from orders.tasks import shipstation_notices_purge_task
from tests.concurrency import run_together
from tests.inventory.factories import BinFactory
from tests.orders.factories import HOME, OFFICE, order
from tests.orders.shipping_support import parcel, ready_order, table_rate_carriers
from tests.orders.shipstation_support import (
    DATE_PATTERN,
    DECIMAL_PATTERN,
    ORDER_STATUSES,
    PASSWORD,
    URL,
    USERNAME,
    account,
    basic,
    by_id,
    export,
    field,
    notice_xml,
    order_ids,
    orders_of,
    run_on_commit,
    shipnotify,
)
from tests.pricing.factories import CouponFactory, PromotionFactory

pytestmark = pytest.mark.django_db

Outcome = ShipStationNotice.Outcome


def shipstation_cache() -> list[tuple[bytes, bytes]]:
    """What orders.shipstation.auth keeps in the cache (the test settings' Redis), as stored there."""
    redis = cache._cache.get_client()
    return [(key, redis.get(key)) for key in redis.keys(cache.make_key("shipstation:*"))]


@pytest.fixture(autouse=True)
def empty_cache():
    """The checks remembered and the failures counted per address (orders.shipstation.auth) live in
    the cache, which outlives a test: each test starts and ends without them (and only them: the same
    Redis holds the test run's Celery queue)."""

    def forget():
        keys = [key for key, _value in shipstation_cache()]
        if keys:
            cache._cache.get_client().delete(*keys)

    forget()
    yield
    forget()


@pytest.fixture
def connected(shop):
    """The shop with ShipStation's account set up in the admin."""
    account()
    return shop


def stock(shop, sku="MUG", warehouse="leeds") -> StockLevel:
    return StockLevel.objects.get(product=shop[sku.lower()], warehouse=shop[warehouse])


def notices() -> list[tuple[str, int]]:
    return list(ShipStationNotice.objects.order_by("pk").values_list("outcome", "status_code"))


# --- credentials ----------------------------------------------------------------------------------------


def test_without_credentials_configured_every_call_is_unauthorised(shop, client):
    response = export(client)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="ShipStation"'


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [
        (basic(), {}, 200),
        (basic(USERNAME, "wrong"), {}, 401),
        (basic("someone", PASSWORD), {}, 401),
        ({}, {}, 401),
        ({"Authorization": "Basic !!!not-base64"}, {}, 401),
        ({"Authorization": "Bearer abc"}, {}, 401),
        ({}, {"SS-UserName": USERNAME, "SS-Password": PASSWORD}, 200),
        ({}, {"SS-Username": USERNAME, "SS-Password": PASSWORD}, 200),
        ({}, {"ss-username": USERNAME, "SS-PASSWORD": PASSWORD}, 200),
        ({}, {"SS-UserName": USERNAME, "SS-Password": "wrong"}, 401),
        # A stale header does not hide good query parameters (and the reverse).
        (basic(USERNAME, "old"), {"SS-UserName": USERNAME, "SS-Password": PASSWORD}, 200),
    ],
)
def test_basic_auth_or_the_ss_query_parameters(connected, client, headers, params, status):
    response = export(client, headers=headers, **params)

    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"] == 'Basic realm="ShipStation"'


def test_an_inactive_account_lets_nobody_in(shop, client):
    account(is_active=False)

    assert export(client).status_code == 401


def test_the_environment_takes_the_place_of_the_admins_account(connected, client, settings):
    settings.SHIPSTATION_USERNAME, settings.SHIPSTATION_PASSWORD = "from-env", "env password"

    assert export(client).status_code == 401  # the admin's account no longer counts
    assert export(client, headers=basic("from-env", "env password")).status_code == 200
    assert export(client, headers={}, **{"SS-UserName": "from-env", "SS-Password": "env password"}).status_code == 200
    assert export(client, headers=basic("from-env", "wrong")).status_code == 401


def test_a_manager_sets_the_password_in_the_admin_hashed_and_sees_the_status_mapping(shop, client, staff_user):
    client.force_login(staff_user(roles.MANAGER, is_staff=True))
    add = client.get("/admin/orders/shipstationaccount/add/").content.decode()
    assert f"http://testserver{URL}" in add
    for status in ORDER_STATUSES:
        assert f"<code>{status}</code>" in add
    assert "On-Hold Status" in add

    response = client.post(
        "/admin/orders/shipstationaccount/add/",
        {"username": USERNAME, "new_password": PASSWORD, "is_active": "on"},
    )

    assert response.status_code == 302
    saved = ShipStationAccount.objects.get()
    assert saved.password != PASSWORD and check_password(PASSWORD, saved.password)
    change = client.get(f"/admin/orders/shipstationaccount/{saved.pk}/change/").content.decode()
    assert PASSWORD not in change and saved.password not in change
    # A blank password keeps the one set; a second account cannot be added.
    client.post(
        f"/admin/orders/shipstationaccount/{saved.pk}/change/",
        {"username": "renamed", "new_password": "", "is_active": "on"},
    )
    saved.refresh_from_db()
    assert saved.username == "renamed" and check_password(PASSWORD, saved.password)
    assert client.get("/admin/orders/shipstationaccount/add/").status_code == 403
    assert export(client, headers=basic("renamed", PASSWORD)).status_code == 200


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The passwords checked against the account's hash (django.contrib.auth's check_password, which
    still does the checking)."""
    checked = []

    def counted(password, encoded, *args, **kwargs):
        checked.append(password)
        return check_password(password, encoded, *args, **kwargs)

    monkeypatch.setattr(auth_module, "check_password", counted)
    return checked


def test_a_successful_check_is_remembered_until_the_password_or_username_changes(connected, client, password_checks):
    for _ in range(3):
        assert export(client).status_code == 200

    assert password_checks == [PASSWORD]  # the first page pays for the check, the others not
    stored = shipstation_cache()
    assert stored and not any(PASSWORD.encode() in key + value for key, value in stored)  # never the password
    # A new password: what was remembered of the old one lets nobody in.
    saved = ShipStationAccount.objects.get()
    saved.password = make_password("new password")
    saved.save()
    assert export(client).status_code == 401
    assert export(client, headers=basic(USERNAME, "new password")).status_code == 200
    # A new username with the same password (hash unchanged): the old name no longer passes either.
    ShipStationAccount.objects.filter(pk=saved.pk).update(username="renamed")
    assert export(client, headers=basic(USERNAME, "new password")).status_code == 401
    assert export(client, headers=basic("renamed", "new password")).status_code == 200


def test_the_same_credentials_in_the_header_and_the_query_are_checked_once(connected, client, password_checks):
    same = {"SS-UserName": USERNAME, "SS-Password": "wrong"}
    different = {"SS-UserName": USERNAME, "SS-Password": PASSWORD}

    assert export(client, headers=basic(USERNAME, "wrong"), **same).status_code == 401
    assert export(client, headers=basic(USERNAME, "old"), **different).status_code == 200

    assert password_checks == ["wrong", "old", PASSWORD]


def test_ten_failures_from_one_address_get_429_without_a_check_until_the_window_ends(
    connected, client, password_checks
):
    attacker, shipstation = "203.0.113.9", "198.51.100.7"
    for _ in range(9):
        assert export(client, headers=basic(USERNAME, "guess"), address=attacker).status_code == 401
    # A success is no failure; asking without credentials costs no check and counts for nothing.
    assert export(client, address=attacker).status_code == 200
    for _ in range(5):
        assert export(client, headers={}, address=attacker).status_code == 401
    assert export(client, headers=basic(USERNAME, "guess"), address=attacker).status_code == 401  # the tenth
    password_checks.clear()

    blocked = export(client, address=attacker)  # the right password, too late
    wrong = export(client, headers=basic(USERNAME, "guess"), address=attacker)

    assert blocked.status_code == wrong.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= auth_module.FAILURE_SECONDS
    assert "Too many wrong credentials" in blocked.content.decode()
    assert password_checks == []
    assert export(client, address=shipstation).status_code == 200  # other addresses are not concerned


@pytest.mark.parametrize(
    ("method", "action", "status"),
    [
        ("put", "export", 405),
        ("delete", "shipnotify", 405),
        ("post", "export", 405),
        ("get", "shipnotify", 405),
        ("get", "nothing", 400),
        ("get", "", 400),
    ],
)
def test_unknown_actions_and_wrong_methods(connected, client, method, action, status):
    response = getattr(client, method)(f"{URL}?action={action}", headers=basic())

    assert response.status_code == status


def test_the_url_without_its_slash_answers_too(connected, client):
    response = client.get("/integrations/shipstation?action=export&start_date=1/1/2000+0:00&end_date=1/1/2099+0:00",
                          headers=basic())  # fmt: skip

    assert response.status_code == 200


# --- export ---------------------------------------------------------------------------------------------


def test_the_export_has_the_specs_elements_dates_and_amounts(connected, client):
    placed = ready_order(("MUG", 2), ("PLATE", 1), notes_internal="Fragile", phone="+441134960000")
    shipment = placed.shipments.get()

    root, orders = orders_of(export(client))

    assert (root.get("pages"), root.get("page")) == ("1", "1")
    (exported,) = orders
    assert field(exported, "OrderID") == str(shipment.pk)
    assert field(exported, "OrderNumber") == placed.number
    assert field(exported, "OrderStatus") == "paid"
    for name in ("OrderDate", "LastModified"):
        assert re.fullmatch(DATE_PATTERN, field(exported, name)), field(exported, name)
    placed.refresh_from_db()
    assert field(exported, "OrderDate") == placed.placed_at.astimezone(UTC).strftime("%m/%d/%Y %H:%M")
    for name in ("OrderTotal", "TaxAmount", "ShippingAmount"):
        assert re.fullmatch(DECIMAL_PATTERN, field(exported, name))
    assert D(field(exported, "OrderTotal")) == placed.total_amount
    assert D(field(exported, "ShippingAmount")) == D("4.95")
    assert field(exported, "CurrencyCode") == placed.currency
    assert field(exported, "PaymentMethod") == "Cash on delivery"
    assert field(exported, "InternalNotes") == "Fragile"
    assert field(exported, "Customer/CustomerCode") == "ann@example.test"
    assert field(exported, "Customer/BillTo/Email") == "ann@example.test"
    assert field(exported, "Customer/ShipTo/Country") == "GB"
    assert field(exported, "Customer/ShipTo/State") == "West Yorkshire"
    assert field(exported, "Customer/ShipTo/Phone") == "+441134960000"
    items = exported.findall("Items/Item")
    assert [(field(i, "SKU"), field(i, "Quantity"), field(i, "UnitPrice")) for i in items] == [
        ("MUG", "2", "12.00"),
        ("PLATE", "1", "20.00"),
    ]
    mug = shipment.lines.get(order_line__sku="MUG")
    assert field(items[0], "LineItemID") == str(mug.pk)
    assert (field(items[0], "Weight"), field(items[0], "WeightUnits")) == ("500", "Grams")
    # Free text is CDATA; numbers and dates are not.
    text = export(client).content.decode()
    assert f"<OrderNumber><![CDATA[{placed.number}]]></OrderNumber>" in text
    assert "<OrderTotal>" + field(exported, "OrderTotal") + "</OrderTotal>" in text


def test_an_order_discount_is_an_adjustment_item_and_the_amounts_add_up_to_the_cent(connected, client):
    PromotionFactory(name="Spring sale", kind="order_percent", value=D("10"))
    placed = ready_order(("MUG", 3), ("PLATE", 1))

    (exported,) = orders_of(export(client))[1]

    items = exported.findall("Items/Item")
    adjustment = items[-1]
    assert field(adjustment, "Adjustment") == "true"
    assert field(adjustment, "SKU") == "" and "Spring sale" in field(adjustment, "Name")
    assert D(field(adjustment, "UnitPrice")) == -D("5.60")  # 10% of 56.00
    goods = sum(D(field(i, "UnitPrice")) * int(field(i, "Quantity")) for i in items)
    shipping = D(field(exported, "ShippingAmount"))
    assert placed.prices_include_tax
    assert goods + shipping == D(field(exported, "OrderTotal")) == placed.total_amount == D("55.35")
    assert D(field(exported, "TaxAmount")) == placed.tax_amount


def test_free_text_with_cdata_ends_and_other_scripts_comes_back_as_it_was(connected, client):
    note = "Leave ]]> by the <door> & ring twice — ñandú, 日本, Ærøskøbing ]]]]>"
    ready_order(("MUG", 1), notes_customer=note, customer_name="Zoë ]]> O'Brien")

    response = export(client)
    (exported,) = orders_of(response)[1]

    assert field(exported, "CustomerNotes") == note
    assert field(exported, "Customer/BillTo/Name") == "Zoë ]]> O'Brien"
    assert response.content.count(b"<![CDATA[") >= 10


def test_the_window_is_on_the_last_change_of_the_shipment_or_its_order(connected, client):
    before, inside, after = (ready_order(("MUG", 1)) for _ in range(3))
    for placed, when in ((before, "2026-03-01 09:00"), (inside, "2026-03-02 10:15"), (after, "2026-03-03 11:00")):
        moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
        Order.objects.filter(pk=placed.pk).update(updated_at=moment)
        Shipment.objects.filter(order=placed).update(updated_at=moment)

    orders = orders_of(export(client, start="03/02/2026 00:00", end="03/02/2026 23:59"))[1]

    assert [field(o, "OrderNumber") for o in orders] == [inside.number]
    assert field(orders[0], "LastModified") == "03/02/2026 10:15"
    # end_date names a whole minute; a cancellation (the order changes now) brings `before` back.
    assert len(orders_of(export(client, start="3/2/2026 10:15", end="3/2/2026 10:15"))[1]) == 1
    order_cancel(order_id=before.pk, reason="Customer changed their mind")
    now = datetime.now(UTC)
    window = {"start": f"{now:%m/%d/%Y} 00:00", "end": f"{now:%m/%d/%Y} 23:59"}
    (cancelled,) = orders_of(export(client, **window))[1]
    assert (field(cancelled, "OrderNumber"), field(cancelled, "OrderStatus")) == (before.number, "cancelled")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("03/02/2026 00:00", "03/02/2026 23:59"),
        ("3/2/2026 0:00", "3/2/2026 23:59"),
        ("03022026 0000", "03022026 2359"),
        ("03/02/2026 12:00 AM", "03/02/2026 11:59 PM"),
        ("2026-03-02T00:00:00Z", "2026-03-02 23:59"),
    ],
)
def test_dates_are_read_tolerantly(connected, client, start, end):
    placed = ready_order(("MUG", 1))
    moment = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    Order.objects.filter(pk=placed.pk).update(updated_at=moment)
    Shipment.objects.filter(order=placed).update(updated_at=moment)

    assert len(orders_of(export(client, start=start, end=end))[1]) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "", "end": "03/02/2026 23:59"}, "start_date is missing"),
        ({"start": "13/45/2026 00:00", "end": "03/02/2026 23:59"}, "start_date '13/45/2026 00:00' is not a date"),
        ({"start": "03/02/2026 00:00", "end": "yesterday"}, "end_date 'yesterday' is not a date"),
        ({"start": "03/03/2026 00:00", "end": "03/02/2026 23:59"}, "start_date is after end_date"),
        ({"page": "0"}, "page must be a whole number from 1"),
        ({"page": "two"}, "page must be a whole number from 1"),
        # Years datetime holds but a minute more, or UTC, would take past its ends.
        ({"end": "12/31/9999 23:59"}, "end_date '12/31/9999 23:59' is out of range: send a date in the years 2000"),
        ({"start": "0001-01-01T00:00+01:00"}, "start_date '0001-01-01T00:00+01:00' is out of range"),
        ({"end": "9999-12-31T23:59-01:00"}, "end_date '9999-12-31T23:59-01:00' is out of range"),
        ({"start": "12/31/1999 23:59"}, "start_date '12/31/1999 23:59' is out of range"),
        ({"end": "01011000 0000"}, "end_date '01011000 0000' is out of range"),
    ],
)
def test_a_bad_or_missing_date_or_page_gets_400_saying_so(connected, client, params, message):
    response = export(client, **params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_pages_hold_every_order_once_in_a_stable_order(connected, client, monkeypatch):
    monkeypatch.setattr(export_module, "PAGE_SIZE", 2)
    placed = [ready_order(("MUG", 1)) for _ in range(5)]
    same_moment = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)  # a tie: the id decides
    Order.objects.update(updated_at=same_moment)
    Shipment.objects.update(updated_at=same_moment)

    seen = []
    for page in (1, 2, 3):
        root, orders = orders_of(export(client, page=page))
        assert root.get("pages") == "3" and root.get("page") == str(page)
        seen += [field(o, "OrderNumber") for o in orders]
    beyond = orders_of(export(client, page=4))[1]

    assert seen == [p.number for p in sorted(placed, key=lambda p: p.shipments.get().pk)]
    assert beyond == []
    assert orders_of(export(client))[0].get("page") == "1"  # no page: the first


def test_a_shipment_changed_between_two_page_requests_pushes_no_other_off_the_pages(connected, client, monkeypatch):
    monkeypatch.setattr(export_module, "PAGE_SIZE", 2)
    placed = [ready_order(("MUG", 1)) for _ in range(5)]
    for minute, one in enumerate(placed):
        moment = datetime(2026, 3, 2, 10, minute, tzinfo=UTC)
        Order.objects.filter(pk=one.pk).update(updated_at=moment)
        Shipment.objects.filter(order=one).update(updated_at=moment)
    window = {"start": "03/02/2026 00:00", "end": timezone.now().strftime("%m/%d/%Y %H:%M")}

    seen = order_ids(export(client, page=1, **window))
    order_hold(order_id=placed[0].pk, reason=HoldReason.MANUAL)  # a change while ShipStation pages
    seen += order_ids(export(client, page=2, **window)) + order_ids(export(client, page=3, **window))

    assert sorted(seen, key=int) == sorted((str(one.shipments.get().pk) for one in placed), key=int)


def test_the_window_ends_at_the_moment_of_the_request(connected, client):
    now_placed, later = ready_order(("MUG", 1)), ready_order(("MUG", 1))
    # Changed after the request began (a transaction that commits after the export read, say): in the
    # next poll's window, whatever end_date says.
    moment = timezone.now() + timedelta(minutes=5)
    Order.objects.filter(pk=later.pk).update(updated_at=moment)
    Shipment.objects.filter(order=later).update(updated_at=moment)

    assert order_ids(export(client, end="12/31/2099 23:59")) == [str(now_placed.shipments.get().pk)]
    query = QueryDict("start_date=03/02/2026+00:00&end_date=03/02/2026+10:15")
    request_moment = datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC)
    assert export_module.window_read(query, now=request_moment).end == request_moment
    assert export_module.window_read(query, now=request_moment + timedelta(hours=1)).end == datetime(
        2026, 3, 2, 10, 16, tzinfo=UTC
    )


def test_a_page_takes_the_same_number_of_queries_however_many_orders_it_holds(connected, client):
    BinFactory(warehouse=connected["leeds"], code="A-01-1")
    ready_order(("MUG", 1), ("PLATE", 1))
    with CaptureQueriesContext(connection) as one:
        assert len(orders_of(export(client))[1]) == 1
    for _ in range(4):
        ready_order(("MUG", 1), ("PLATE", 2))

    with CaptureQueriesContext(connection) as five:
        assert len(orders_of(export(client))[1]) == 5

    # The account, the count, the page, its orders' shipments, its lines, their bins.
    assert len(five.captured_queries) == len(one.captured_queries) <= 6


def test_the_location_is_the_first_bin_in_pick_sequence(connected, client):
    leeds = connected["leeds"]
    late = BinFactory(warehouse=leeds, code="Z-99-9", pick_sequence=50)
    early = BinFactory(warehouse=leeds, code="A-01-2", pick_sequence=5)
    empty = BinFactory(warehouse=leeds, code="A-00-0", pick_sequence=1)
    for shelf in (late, early):
        stock_receive(warehouse_id=leeds.pk, lines=[StockLine(connected["mug"].pk, 2, shelf.pk)])
    del empty  # holds no mug: not where a picker finds one
    ready_order(("MUG", 1), ("PLATE", 1))

    (exported,) = orders_of(export(client))[1]

    locations = {field(i, "SKU"): field(i, "Location") for i in exported.findall("Items/Item")}
    assert locations == {"MUG": "A-01-2", "PLATE": ""}


def test_an_order_sent_as_two_shipments_is_two_shipstation_orders_whose_shares_add_up(connected, client):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    shipments = (
        ShipmentInput(ship_to=HOME, shipping_method="Standard", shipping_price=D("4.95"), lines=((0, 1),)),
        ShipmentInput(ship_to=OFFICE, shipping_method="Next day", shipping_price=D("9.95"), lines=((0, 1), (1, 2))),
        ShipmentInput(pickup_warehouse="brs", lines=((1, 1),)),
    )
    placed = order_place(data=order(("MUG", 2), ("PLATE", 3), shipments=shipments, coupon_codes=("tenoff",)))
    home, office, _pickup = placed.shipments.order_by("position")

    orders = by_id(orders_of(export(client))[1])

    assert set(orders) == {str(home.pk), str(office.pk)}  # the pick-up is not ShipStation's
    first, second = orders[str(home.pk)], orders[str(office.pk)]
    assert (field(first, "OrderNumber"), field(second, "OrderNumber")) == (f"{placed.number}-1", f"{placed.number}-2")
    assert field(second, "Customer/ShipTo/Company") == "Lee Ltd"
    assert (field(first, "ShippingAmount"), field(second, "ShippingAmount")) == ("4.95", "9.95")
    for exported in (first, second):
        items = exported.findall("Items/Item")
        goods = sum(D(field(i, "UnitPrice")) * int(field(i, "Quantity")) for i in items)
        assert goods + D(field(exported, "ShippingAmount")) == D(field(exported, "OrderTotal"))
        assert field(items[-1], "Adjustment") == "true"
    # The pick-up takes the last of the three plates (its shipment line comes last): what the two
    # plates before it did not take of the plate line's total and tax. The two exported shipments add
    # up to the order less that share, to the cent.
    plate = placed.lines.get(sku="PLATE")
    pickup_total = plate.total_amount - quantize(plate.total_amount * 2 / 3)
    pickup_tax = plate.tax_amount - quantize(plate.tax_amount * 2 / 3)
    assert placed.prices_include_tax
    assert D(field(first, "OrderTotal")) + D(field(second, "OrderTotal")) == placed.total_amount - pickup_total
    assert D(field(first, "TaxAmount")) + D(field(second, "TaxAmount")) == placed.tax_amount - pickup_tax


def test_an_order_sent_one_unit_a_shipment_exports_shares_that_add_up_to_the_cent(connected, client):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    shipments = tuple(
        ShipmentInput(ship_to=to, shipping_method="Standard", shipping_price=D("4.95"), lines=((0, 1),))
        for to in (HOME, OFFICE, HOME)
    )
    placed = order_place(data=order(("MUG", 3), shipments=shipments, coupon_codes=("tenoff",)))
    assert (placed.total_amount, placed.tax_amount, placed.shipping_amount) == (D("40.85"), D("4.33"), D("14.85"))

    orders = by_id(orders_of(export(client))[1])

    # 26.00 of mugs and 4.33 of tax in thirds, by running shares: 8.67, 17.33 - 8.67, 26.00 - 17.33.
    exported = [orders[str(s.pk)] for s in placed.shipments.order_by("pk")]
    assert [(field(o, "OrderTotal"), field(o, "TaxAmount"), field(o, "ShippingAmount")) for o in exported] == [
        ("13.62", "1.44", "4.95"),
        ("13.61", "1.45", "4.95"),
        ("13.62", "1.44", "4.95"),
    ]
    assert sum(D(field(o, "OrderTotal")) for o in exported) == placed.total_amount
    assert sum(D(field(o, "TaxAmount")) for o in exported) == placed.tax_amount
    for one in exported:
        items = one.findall("Items/Item")
        goods = sum(D(field(i, "UnitPrice")) * int(field(i, "Quantity")) for i in items)
        assert goods + D(field(one, "ShippingAmount")) == D(field(one, "OrderTotal"))


def test_the_orders_shipping_is_shared_by_running_shares_too(connected, client):
    # Shipping after a discount that no shipment's own charge reflects: 10.00 over 4.95 + 4.95 + 4.95.
    shipments = tuple(
        ShipmentInput(ship_to=HOME, shipping_method="Standard", shipping_price=D("4.95"), lines=((0, 1),))
        for _ in range(3)
    )
    placed = order_place(data=order(("MUG", 3), shipments=shipments))
    Order.objects.filter(pk=placed.pk).update(
        shipping_amount=D("10.00"), total_amount=F("total_amount") - F("shipping_amount") + D("10.00")
    )
    placed.refresh_from_db()

    orders = by_id(orders_of(export(client))[1])

    exported = [orders[str(s.pk)] for s in placed.shipments.order_by("pk")]
    assert [field(o, "ShippingAmount") for o in exported] == ["3.33", "3.34", "3.33"]
    assert sum(D(field(o, "OrderTotal")) for o in exported) == placed.total_amount


def test_each_state_exports_its_documented_status(connected, client):
    paid = ready_order(("MUG", 1))
    unpaid = ready_order(("MUG", 1), payment_method="prepaid")
    held = ready_order(("MUG", 1))
    order_hold(order_id=held.pk, reason=HoldReason.MANUAL)
    waiting = order_place(data=order(("PLATE", 16, True)))
    cancelled = ready_order(("MUG", 1))
    order_cancel(order_id=cancelled.pk, reason="Duplicate")
    shipped = ready_order(("MUG", 1))
    shipnotify(client, notice_xml(order_id=shipped.shipments.get().pk))

    statuses = {}
    for exported in orders_of(export(client))[1]:
        number = Shipment.objects.get(pk=field(exported, "OrderID")).order.number
        statuses.setdefault(number, set()).add(field(exported, "OrderStatus"))

    assert unpaid.status == OrderStatus.ON_HOLD
    assert statuses[paid.number] == {"paid"}
    assert statuses[unpaid.number] == {"unpaid"}
    assert statuses[held.number] == {"on_hold"}
    assert "on_hold" in statuses[waiting.number]
    assert statuses[cancelled.number] == {"cancelled"}
    assert statuses[shipped.number] == {"shipped"}
    assert set().union(*statuses.values()) <= ORDER_STATUSES


# --- shipnotify -----------------------------------------------------------------------------------------


def test_a_notice_ships_the_shipment_through_inventory_and_emails_the_customer(
    connected, client, django_capture_on_commit_callbacks
):
    placed = ready_order(("MUG", 3))
    shipment = placed.shipments.get()
    on_hand = stock(connected).on_hand

    with django_capture_on_commit_callbacks() as callbacks:
        response = shipnotify(
            client,
            notice_xml(order_id=shipment.pk, order_number=placed.number),
            order_number=placed.number,
            carrier="UPS",
            service="Ground",
            tracking_number="1Z999AA10123456784",
        )
    run_on_commit(callbacks)

    assert response.status_code == 200, response.content
    shipment.refresh_from_db()
    placed.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and placed.status == OrderStatus.SHIPPED
    assert (shipment.carrier, shipment.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert stock(connected).on_hand == on_hand - 3
    box = Parcel.objects.get()
    assert (box.status, box.tracking_number, box.carrier_name, box.service_name) == (
        "shipped", "1Z999AA10123456784", "UPS", "Ground",
    )  # fmt: skip
    assert box.service is None and box.rate_amount == D("8.45") and box.weight_grams == 1500
    assert [(i.shipment_line_id, i.quantity) for i in box.items.all()] == [(shipment.lines.get().pk, 3)]
    assert len(mail.outbox) == 1
    assert "1Z999AA10123456784" in mail.outbox[0].body and "UPS Ground" in mail.outbox[0].body
    assert notices() == [(Outcome.APPLIED, 200)]
    logged = ShipStationNotice.objects.get()
    assert logged.shipment == shipment and logged.parcel == box
    assert logged.params["tracking_number"] == "1Z999AA10123456784" and "<ShipNotice>" in logged.body
    assert OrderEvent.objects.filter(order=placed, kind="shipstation").count() == 1


def test_notify_customer_false_means_shipstation_emailed_them(connected, client, django_capture_on_commit_callbacks):
    shipment = ready_order(("MUG", 1)).shipments.get()

    with django_capture_on_commit_callbacks() as callbacks:
        response = shipnotify(client, notice_xml(order_id=shipment.pk, notify="false"))
    run_on_commit(callbacks)

    assert response.status_code == 200
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED
    assert mail.outbox == []


def test_a_partial_notice_ships_some_units_and_a_second_one_the_rest(connected, client):
    placed = ready_order(("MUG", 3), ("PLATE", 1))
    shipment = placed.shipments.get()
    mug = shipment.lines.get(order_line__sku="MUG")
    on_hand = stock(connected).on_hand

    first = shipnotify(client, notice_xml(order_id=shipment.pk, tracking="TRACK-1", items=[(mug.pk, "MUG", 2)]))

    assert first.status_code == 200 and "more units are to come" in first.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.READY and stock(connected).on_hand == on_hand
    assert Parcel.objects.get().status == Parcel.Status.SHIPPED

    # By SKU this time (no LineItemID), the rest.
    second = shipnotify(
        client, notice_xml(order_id=shipment.pk, tracking="TRACK-2", items=[("", "mug", 1), ("", "PLATE", 1)])
    )

    assert second.status_code == 200, second.content
    shipment.refresh_from_db()
    placed.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and placed.status == OrderStatus.SHIPPED
    assert stock(connected).on_hand == on_hand - 3
    assert shipment.tracking_number == "TRACK-1, TRACK-2"
    assert sorted(Parcel.objects.values_list("position", "tracking_number")) == [(1, "TRACK-1"), (2, "TRACK-2")]
    # More than is left cannot apply, and no retry would change that: it is kept for staff to review
    # (answered 200, so ShipStation stops retrying), once on the order's timeline however often it comes.
    other = ready_order(("MUG", 1))
    body = notice_xml(order_id=other.shipments.get().pk, tracking="TRACK-3", items=[("", "MUG", 2)])
    too_many, again = shipnotify(client, body), shipnotify(client, body)
    assert too_many.status_code == again.status_code == 200
    assert "ships 2 x MUG but 1" in too_many.content.decode()
    assert other.events.filter(kind="shipstation", message__contains="ships 2 x MUG but 1").count() == 1
    assert notices()[-2:] == [(Outcome.REVIEW, 200), (Outcome.DUPLICATE, 200)]
    assert not Parcel.objects.filter(shipment__order=other).exists()


def test_a_repeated_notice_changes_nothing(connected, client):
    shipment = ready_order(("MUG", 2)).shipments.get()
    body = notice_xml(order_id=shipment.pk)
    shipnotify(client, body, carrier="UPS", tracking_number="1Z999AA10123456784")
    on_hand = stock(connected).on_hand
    events = OrderEvent.objects.count()

    again = shipnotify(client, body, carrier="ups", tracking_number="1Z999AA10123456784")
    without_tracking = shipnotify(client, notice_xml(order_id=shipment.pk, tracking=""))

    assert again.status_code == 200 and again.content.decode().startswith("Already recorded")
    assert without_tracking.status_code == 200 and "already shipped" in without_tracking.content.decode()
    assert Parcel.objects.count() == 1
    assert stock(connected).on_hand == on_hand
    assert OrderEvent.objects.count() == events
    assert notices() == [(Outcome.APPLIED, 200), (Outcome.DUPLICATE, 200), (Outcome.DUPLICATE, 200)]


def test_the_bodys_order_id_wins_over_the_order_number(connected, client):
    one, two = ready_order(("MUG", 1)), ready_order(("MUG", 1))
    target = two.shipments.get()

    response = shipnotify(client, notice_xml(order_id=target.pk, order_number=one.number), order_number=one.number)

    assert response.status_code == 200
    assert Shipment.objects.get(pk=target.pk).status == ShipmentStatus.SHIPPED
    assert one.shipments.get().status == ShipmentStatus.READY


def test_without_an_order_id_the_order_number_names_the_shipment_in_either_form(connected, client):
    single = ready_order(("MUG", 1))
    shipments = (
        ShipmentInput(ship_to=HOME, shipping_method="Standard", shipping_price=D("4.95"), lines=((0, 1),)),
        ShipmentInput(ship_to=OFFICE, shipping_method="Standard", shipping_price=D("4.95"), lines=((0, 1),)),
    )
    double = order_place(data=order(("MUG", 2), shipments=shipments))

    by_number = shipnotify(client, notice_xml(tracking="T-1"), order_number=single.number)
    ambiguous = shipnotify(client, notice_xml(tracking="T-2"), order_number=double.number)
    by_position = shipnotify(client, notice_xml(tracking="T-3"), order_number=f"{double.number}-2")

    assert by_number.status_code == 200 and single.shipments.get().status == ShipmentStatus.SHIPPED
    assert ambiguous.status_code == 400 and "has 2 shipments" in ambiguous.content.decode()
    assert by_position.status_code == 200
    assert [s.status for s in double.shipments.order_by("position")] == [ShipmentStatus.READY, ShipmentStatus.SHIPPED]


def test_an_unknown_order_is_refused_with_400(connected, client):
    response = shipnotify(client, notice_xml(order_id="999999", order_number="SO-1999-000001"), order_number="nope")

    assert response.status_code == 400
    assert "No shipment of ours matches" in response.content.decode()
    assert notices() == [(Outcome.REFUSED, 400)]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ShipNotice><OrderID>&lol3;</OrderID></ShipNotice>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE ShipNotice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ShipNotice><OrderID>{id}</OrderID><TrackingNumber>&secret;</TrackingNumber></ShipNotice>"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<ShipNotice><OrderID>{id}</OrderID>", "Malformed XML"),
        ("<ShipNotice><OrderID>{id}</OrderID></ShipNotice><extra/>", "Malformed XML"),
        ("not xml at all {id}", "Malformed XML"),
        ("<Orders><OrderID>{id}</OrderID></Orders>", "not a ShipNotice"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (XXE, "DOCTYPE"),
        (
            "<ShipNotice><OrderID>{id}</OrderID><Items><Item><SKU>MUG</SKU><Quantity>lots</Quantity></Item></Items>"
            "</ShipNotice>",
            "Quantity 'lots' is not a whole number",
        ),
    ],
)
def test_malformed_or_hostile_xml_is_refused_with_400_and_changes_nothing(connected, client, body, message):
    shipment = ready_order(("MUG", 1)).shipments.get()

    response = shipnotify(
        client, body.replace("{id}", str(shipment.pk)), content_type="text/plain", tracking_number="T"
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.READY
    assert not Parcel.objects.exists()
    assert notices() == [(Outcome.REFUSED, 400)]
    assert "root:" not in ShipStationNotice.objects.get().body  # nothing of /etc/passwd was read


def test_a_notice_for_an_order_on_hold_is_refused_and_logged(connected, client):
    placed = ready_order(("MUG", 1))
    order_hold(order_id=placed.pk, reason=HoldReason.ADDRESS_CHECK)
    shipment = placed.shipments.get()

    response = shipnotify(client, notice_xml(order_id=shipment.pk))

    assert response.status_code == 409
    assert f"Order {placed.number} is on hold (address to check)" in response.content.decode()
    assert not Parcel.objects.exists()
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.PENDING
    logged = ShipStationNotice.objects.get()
    assert (logged.outcome, logged.status_code, logged.shipment) == (Outcome.REFUSED, 409, shipment)
    assert "on hold" in logged.message


def test_a_notice_for_units_still_awaited_or_a_cancelled_order_is_refused(connected, client):
    short = order_place(data=order(("PLATE", 15, True)))
    waiting = Shipment.objects.filter(order=short, lines__reserved_quantity__lt=F("lines__quantity"))
    cancelled = ready_order(("MUG", 1))
    order_cancel(order_id=cancelled.pk, reason="Duplicate")

    awaited = shipnotify(client, notice_xml(order_id=waiting.first().pk, tracking="T-1"))
    gone = shipnotify(client, notice_xml(order_id=cancelled.shipments.get().pk, tracking="T-2"))

    assert awaited.status_code == 409 and "still waits for stock" in awaited.content.decode()
    assert gone.status_code == 409 and "is cancelled" in gone.content.decode()
    assert not Parcel.objects.exists()


def test_a_tracking_number_of_another_shipment_is_a_conflict(connected, client):
    one, two = (ready_order(("MUG", 1)).shipments.get() for _ in range(2))
    shipnotify(client, notice_xml(order_id=one.pk, tracking="SAME-1"))

    response = shipnotify(client, notice_xml(order_id=two.pk, tracking="SAME-1"))

    assert response.status_code == 409 and "of another shipment" in response.content.decode()
    assert Shipment.objects.get(pk=two.pk).status == ShipmentStatus.READY


def test_a_new_tracking_number_for_a_shipped_shipment_is_shown_to_staff_once(connected, client):
    placed = ready_order(("MUG", 2))
    shipment = placed.shipments.get()
    shipnotify(client, notice_xml(order_id=shipment.pk, tracking="1Z-FIRST"))
    on_hand = stock(connected).on_hand
    # ShipStation voided the first label and shipped again: the same notice with a new number, twice
    # (its retry).
    body = notice_xml(order_id=shipment.pk, carrier="FedEx", service="Ground", tracking="FX-AGAIN")

    first, retry = shipnotify(client, body), shipnotify(client, body)

    said = "ShipStation reported tracking number FX-AGAIN for shipment 1, which had already shipped with 1Z-FIRST"
    assert first.status_code == retry.status_code == 200
    assert first.content.decode().startswith(said)
    events = OrderEvent.objects.filter(order=placed, kind="shipstation", message__contains="FX-AGAIN")
    assert [(e.message, e.new_value["tracking_number"]) for e in events] == [(f"{said} (FedEx Ground)", "FX-AGAIN")]
    assert notices() == [(Outcome.APPLIED, 200), (Outcome.REVIEW, 200), (Outcome.DUPLICATE, 200)]
    review = ShipStationNotice.objects.get(outcome=Outcome.REVIEW)
    assert review.shipment == shipment and review.message.startswith(said)
    # Nothing else changed.
    assert list(Parcel.objects.values_list("tracking_number", flat=True)) == ["1Z-FIRST"]
    assert Shipment.objects.get(pk=shipment.pk).tracking_number == "1Z-FIRST"
    assert stock(connected).on_hand == on_hand


def test_a_notice_without_tracking_number_ships_with_shipstations_carrier_once(
    connected, client, django_capture_on_commit_callbacks
):
    # ShipStation's "mark as shipped" with carrier "Other": no tracking number; sent again an hour later.
    placed = ready_order(("MUG", 2))
    shipment = placed.shipments.get()
    on_hand = stock(connected).on_hand
    body = notice_xml(order_id=shipment.pk, carrier="Other", service="", tracking="")

    with django_capture_on_commit_callbacks() as callbacks:
        first, retry = shipnotify(client, body), shipnotify(client, body)
    run_on_commit(callbacks)

    assert first.status_code == retry.status_code == 200, first.content
    assert "no tracking number" in first.content.decode()
    assert retry.content.decode().startswith("Already recorded")
    shipment.refresh_from_db()
    placed.refresh_from_db()
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == (ShipmentStatus.SHIPPED, "Other", "")
    assert placed.status == OrderStatus.SHIPPED
    assert stock(connected).on_hand == on_hand - 2
    box = Parcel.objects.get()
    assert (box.status, box.carrier_name, box.service_id, box.tracking_number) == ("shipped", "Other", None, "")
    assert notices() == [(Outcome.APPLIED, 200), (Outcome.DUPLICATE, 200)]
    applied = ShipStationNotice.objects.get(outcome=Outcome.APPLIED)
    assert applied.parcel == box
    assert applied.fingerprint == notice_fingerprint(
        ShipNoticeInput(order_id=str(shipment.pk), carrier="Other"), shipment.pk
    )
    assert len(mail.outbox) == 1 and "Tracking number: none given" in mail.outbox[0].body


def test_without_tracking_number_a_carrier_of_ours_lends_only_its_name(connected, client):
    table_rate_carriers()  # Swift makes labels: a parcel with its service ships with one
    shipment = ready_order(("MUG", 1)).shipments.get()

    response = shipnotify(client, notice_xml(order_id=shipment.pk, carrier="swift", service="STANDARD", tracking=""))

    assert response.status_code == 200, response.content
    box = Parcel.objects.get()
    assert (box.service, box.carrier_name, box.service_name, box.tracking_number) == (None, "swift", "STANDARD", "")
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED


def test_partial_notices_without_tracking_number_apply_once_each(connected, client):
    shipment = ready_order(("MUG", 3)).shipments.get()
    mug = shipment.lines.get()
    one = notice_xml(order_id=shipment.pk, carrier="Other", tracking="", items=[(mug.pk, "MUG", 1)])
    rest = notice_xml(order_id=shipment.pk, carrier="Other", tracking="", items=[(mug.pk, "MUG", 2)])

    statuses = [shipnotify(client, body).status_code for body in (one, one, one, rest, rest)]

    assert statuses == [200] * 5
    parcels = Parcel.objects.filter(shipment=shipment).order_by("position")
    assert [(p.status, [i.quantity for i in p.items.all()]) for p in parcels] == [("shipped", [1]), ("shipped", [2])]
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED
    assert [outcome for outcome, _ in notices()] == [
        Outcome.APPLIED, Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE,
    ]  # fmt: skip


def test_a_notice_fingerprint_leaves_out_the_time_it_was_sent_but_not_what_it_ships():
    notice = ShipNoticeInput(order_id="7", carrier="Other", items=(NoticeItem("12", "MUG", 1),))
    sent_later = ShipNoticeInput(
        order_id="7",
        carrier="other",
        items=(NoticeItem("12", "mug", 1),),
        shipped_at=datetime(2026, 12, 8, 12, tzinfo=UTC),
        notify_customer=False,
    )

    assert notice_fingerprint(notice, 7) == notice_fingerprint(sent_later, 7)
    assert notice_fingerprint(notice, 7) != notice_fingerprint(notice, 8)
    more = ShipNoticeInput(order_id="7", carrier="Other", items=(NoticeItem("12", "MUG", 2),))
    assert notice_fingerprint(notice, 7) != notice_fingerprint(more, 7)
    assert notice_fingerprint(notice, 7) != notice_fingerprint(ShipNoticeInput(order_id="7", carrier="UPS"), 7)


PLACED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ship_date", "label_date", "expected"),
    [
        ("12/5/2026", "", datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),  # a day: noon UTC
        ("12/05/2026", "12/05/2026 09:30", datetime(2026, 12, 5, 9, 30, tzinfo=UTC)),  # the label's time that day
        ("12/5/2026", "12/04/2026 17:45", datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),  # a label made the day before
        ("", "12/04/2026 17:45", datetime(2026, 12, 4, 17, 45, tzinfo=UTC)),
        ("11/20/2026", "", PLACED_AT),  # before the order was placed
        ("12/31/2099", "12/31/2099 10:00", "now"),  # in the future
        ("", "", "now"),
        ("yesterday", "13/45/2026 25:00", "now"),
    ],
)
def test_the_parcel_left_on_the_notices_ship_date(connected, client, ship_date, label_date, expected):
    placed = ready_order(("MUG", 1))
    Order.objects.filter(pk=placed.pk).update(placed_at=PLACED_AT)
    shipment = placed.shipments.get()
    before = timezone.now()

    response = shipnotify(client, notice_xml(order_id=shipment.pk, ship_date=ship_date, label_date=label_date))

    assert response.status_code == 200, response.content
    shipment.refresh_from_db()
    box = Parcel.objects.get()
    assert box.shipped_at == shipment.shipped_at
    if expected == "now":
        assert before <= box.shipped_at <= timezone.now()
    else:
        assert box.shipped_at == expected


def test_a_partial_parcel_keeps_its_ship_date_too(connected, client):
    placed = ready_order(("MUG", 2))
    Order.objects.filter(pk=placed.pk).update(placed_at=PLACED_AT)
    shipment = placed.shipments.get()
    items = [(shipment.lines.get().pk, "MUG", 1)]

    shipnotify(client, notice_xml(order_id=shipment.pk, items=items, ship_date="12/3/2026", label_date=""))

    box = Parcel.objects.get()
    assert (box.status, box.shipped_at) == (Parcel.Status.SHIPPED, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))


def test_a_carrier_of_ours_is_matched_and_its_tracking_link_is_emailed(
    connected, client, django_capture_on_commit_callbacks
):
    carriers = table_rate_carriers()
    swift = ready_order(("MUG", 1)).shipments.get()
    ups = ready_order(("MUG", 1)).shipments.get()
    carriers["courier"].__class__.objects.create(
        code="ups", name="UPS", kind="manual", tracking_url="https://ups.example/track?n={tracking}"
    )

    with django_capture_on_commit_callbacks() as callbacks:
        matched = shipnotify(client, notice_xml(order_id=swift.pk, carrier="swift", service="STANDARD", tracking="SW1"))
        named = shipnotify(client, notice_xml(order_id=ups.pk, carrier="UPS", service="Next Day Air", tracking="1ZUP"))
    run_on_commit(callbacks)

    assert matched.status_code == named.status_code == 200
    swift_box, ups_box = Parcel.objects.get(shipment=swift), Parcel.objects.get(shipment=ups)
    assert swift_box.service == carriers["standard"] and swift_box.label_status == Parcel.LabelStatus.CREATED
    assert ups_box.service is None  # no "Next Day Air" service of ours: the names are kept
    bodies = sorted(message.body for message in mail.outbox)
    assert any("https://track.swift.example/?n=SW1" in body for body in bodies)
    assert any("https://ups.example/track?n=1ZUP" in body and "UPS Next Day Air" in body for body in bodies)


def test_a_parcel_packed_here_takes_the_tracking_number(connected, client):
    shipment = ready_order(("MUG", 2)).shipments.get()
    box = parcel(shipment, 1200)
    box.items.create(shipment_line=shipment.lines.get(), quantity=2)

    response = shipnotify(client, notice_xml(order_id=shipment.pk, tracking="PACKED-1"))

    assert response.status_code == 200
    box.refresh_from_db()
    assert (box.status, box.tracking_number, box.weight_grams) == (Parcel.Status.SHIPPED, "PACKED-1", 1200)
    assert Parcel.objects.count() == 1


def test_units_packed_here_move_to_shipstations_parcel_unless_labelled(connected, client):
    carriers = table_rate_carriers()
    shipment = ready_order(("MUG", 2), ("PLATE", 1)).shipments.get()
    mug, plate = shipment.lines.get(order_line__sku="MUG"), shipment.lines.get(order_line__sku="PLATE")
    first = parcel(shipment, 1000, position=1)
    first.items.create(shipment_line=mug, quantity=2)
    labelled = parcel(shipment, 500, position=2, service=carriers["same_day"], tracking_number="LC-1")
    labelled.items.create(shipment_line=plate, quantity=1)

    refused = shipnotify(client, notice_xml(order_id=shipment.pk, tracking="SS-1"))
    moved = shipnotify(client, notice_xml(order_id=shipment.pk, tracking="SS-2", items=[(mug.pk, "MUG", 1)]))

    assert refused.status_code == 409 and "Parcel 2" in refused.content.decode()
    assert moved.status_code == 200
    assert {p.position: (p.status, {i.shipment_line_id: i.quantity for i in p.items.all()})
            for p in Parcel.objects.filter(shipment=shipment)} == {
        1: (Parcel.Status.PACKED, {mug.pk: 1}),
        2: (Parcel.Status.PACKED, {plate.pk: 1}),
        3: (Parcel.Status.SHIPPED, {mug.pk: 1}),
    }  # fmt: skip
    # The rest leaves from here as usual, and the shipment ships with the last parcel.
    Parcel.objects.filter(pk=first.pk).update(service=carriers["same_day"], tracking_number="LC-0")
    parcel_ship(parcel_ids=[first.pk, labelled.pk])
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED


def test_an_empty_body_ships_the_order_named_in_the_query(connected, client):
    placed = ready_order(("MUG", 1))

    response = shipnotify(client, "", order_number=placed.number, carrier="USPS", tracking_number="9400-1")

    assert response.status_code == 200
    assert Parcel.objects.get().tracking_number == "9400-1"


# --- fuzz -----------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
# Any year datetime holds, to its very ends (a minute more, or a time zone's offset, overflows there).
ANY_MOMENT = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
OFFSETS = st.sampled_from(["", "Z", "+00:00", "+01:00", "-01:00", "+14:00", "-1400"])
DATES = st.one_of(
    TEXT,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)).map(
        lambda d: d.strftime("%m/%d/%Y %H:%M")
    ),
    ANY_MOMENT.map(lambda d: f"{d.month:02}/{d.day:02}/{d.year:04} {d.hour:02}:{d.minute:02}"),
    ANY_MOMENT.map(lambda d: f"{d.month:02}{d.day:02}{d.year:04} {d.hour:02}{d.minute:02}"),
    st.tuples(ANY_MOMENT, OFFSETS).map(lambda pair: pair[0].isoformat(timespec="minutes") + pair[1]),
    st.from_regex(r"\d{1,3}/\d{1,3}/\d{1,5} \d{1,3}:\d{1,3}( [AP]M)?", fullmatch=True),
    st.from_regex(r"\d{8} \d{4}", fullmatch=True),
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=DATES, end=DATES, page=st.one_of(st.none(), TEXT, st.integers(-5, 10**12).map(str)), extra=TEXT)
@example(start="01/01/2000 00:00", end="12/31/9999 23:59", page=None, extra="")
@example(start="0001-01-01T00:00+01:00", end="12/31/2099 23:59", page=None, extra="")
@example(start="9999-12-31T23:59-01:00", end="9999-12-31T23:59-01:00", page=None, extra="")
def test_fuzzed_export_parameters_never_get_a_server_error(connected, client, start, end, page, extra):
    response = export(client, start=start, end=end, page=page, **{extra or "x": extra})

    assert response.status_code in (200, 400)
    event(f"status {response.status_code}")
    if response.status_code == 200:
        orders_of(response)


XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@st.composite
def notices_bodies(draw, shipment_id: int, line_id: int):
    kind = draw(st.sampled_from(["notice", "notice", "bytes", "text", "mangled"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    body = notice_xml(
        order_id=draw(st.sampled_from([str(shipment_id), "", "0", "-1", "9" * 30, "x"])),
        order_number=draw(XML_TEXT).replace("<", "").replace("&", ""),
        carrier=draw(st.sampled_from(["UPS", "", "swift", "x" * 80])),
        tracking=draw(st.sampled_from(["", "1Z1", "Z" * 70])) + draw(st.sampled_from(["", "2"])),
        items=draw(
            st.lists(
                st.tuples(
                    st.sampled_from([str(line_id), "", "abc", "99999999999999999999"]),
                    st.sampled_from(["MUG", "", "NOPE", "mug"]),
                    st.sampled_from(["1", "1", "0", "-1", "3", "x", "", "99999999999"]),
                ),
                max_size=2,
            )
        ),
        notify=draw(st.sampled_from(["true", "false", "", "maybe"])),
    )
    if kind == "mangled":
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(XML_TEXT) + body[cut:]
    return body.encode()


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_notices_never_get_a_server_error(connected, client, data):
    shipment = Shipment.objects.filter(status=ShipmentStatus.READY).first() or ready_order(("MUG", 1)).shipments.get()
    body = data.draw(notices_bodies(shipment.pk, shipment.lines.get().pk))
    params = data.draw(
        st.dictionaries(
            st.sampled_from(["order_number", "carrier", "service", "tracking_number", "x"]),
            st.one_of(TEXT, st.sampled_from(["UPS", "1Z9", "SO-2026-000001", "SO-2026-000001-1"])),
            max_size=3,
        )
    )
    content_type = data.draw(st.sampled_from(["application/xml", "text/xml", "text/plain", "application/octet-stream"]))

    response = shipnotify(client, body, content_type=content_type, **params)

    assert response.status_code in (200, 400, 409), response.content
    event(f"status {response.status_code}")
    assert ShipStationNotice.objects.order_by("-pk").first().status_code == response.status_code


def test_every_notice_is_parsed_as_xml_whatever_its_content_type(connected, client):
    shipment = ready_order(("MUG", 1)).shipments.get()

    response = shipnotify(client, notice_xml(order_id=shipment.pk), content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert ET.fromstring(ShipStationNotice.objects.get().body.encode()).tag == "ShipNotice"


def test_a_parcel_packed_here_with_the_notices_tracking_number_is_the_one_that_ships(connected, client):
    carriers = table_rate_carriers()
    shipment = ready_order(("MUG", 1), ("PLATE", 1)).shipments.get()
    mug, plate = shipment.lines.get(order_line__sku="MUG"), shipment.lines.get(order_line__sku="PLATE")
    typed = parcel(shipment, 600, position=1, service=carriers["same_day"], tracking_number="LC-7")
    typed.items.create(shipment_line=mug, quantity=1)
    other = parcel(shipment, 600, position=2)
    other.items.create(shipment_line=plate, quantity=1)

    response = shipnotify(client, notice_xml(order_id=shipment.pk, carrier="Local courier", tracking="LC-7"))

    assert response.status_code == 200, response.content
    typed.refresh_from_db()
    assert (typed.status, typed.service) == (Parcel.Status.SHIPPED, carriers["same_day"])
    assert Parcel.objects.filter(shipment=shipment).count() == 2
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.READY  # parcel 2 is still here


@pytest.mark.django_db(transaction=True)
def test_the_same_notice_twice_at_once_ships_once(connected):
    shipment = ready_order(("MUG", 2)).shipments.get()
    on_hand = stock(connected).on_hand
    # Sent five times at once (ShipStation retrying while the first is still being answered).
    body = notice_xml(order_id=shipment.pk, tracking="1Z-RACE", notify="false")
    statuses = run_together(lambda _index: shipnotify(Client(), body).status_code, 5)

    assert statuses == [200] * 5
    assert Parcel.objects.count() == 1
    assert stock(connected).on_hand == on_hand - 2
    assert sorted(outcome for outcome, _ in notices()) == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 4


@pytest.mark.django_db(transaction=True)
def test_the_same_notice_without_tracking_number_twice_at_once_ships_once(connected):
    shipment = ready_order(("MUG", 2)).shipments.get()
    # One of the two mugs, "marked as shipped" without a tracking number: only the fingerprint tells a
    # retry from a second package.
    body = notice_xml(order_id=shipment.pk, carrier="Other", tracking="", items=[(shipment.lines.get().pk, "MUG", 1)])
    statuses = run_together(lambda _index: shipnotify(Client(), body).status_code, 5)

    assert statuses == [200] * 5
    assert [p.items.get().quantity for p in Parcel.objects.all()] == [1]
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.READY
    assert sorted(outcome for outcome, _ in notices()) == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 4


def test_units_already_shipped_are_not_counted_as_free_to_take(connected, client):
    shipment = ready_order(("MUG", 3), ("PLATE", 1)).shipments.get()
    mug, plate = shipment.lines.get(order_line__sku="MUG"), shipment.lines.get(order_line__sku="PLATE")
    shipnotify(client, notice_xml(order_id=shipment.pk, tracking="FIRST", items=[(mug.pk, "MUG", 1)]))
    packed = parcel(shipment, 900, position=2)
    packed.items.create(shipment_line=mug, quantity=2)
    packed.items.create(shipment_line=plate, quantity=1)

    response = shipnotify(client, notice_xml(order_id=shipment.pk, tracking="SECOND", items=[(mug.pk, "MUG", 2)]))

    assert response.status_code == 200, response.content
    units = {
        p.tracking_number or "packed": {i.shipment_line_id: i.quantity for i in p.items.all()}
        for p in Parcel.objects.filter(shipment=shipment)
    }
    assert units == {"FIRST": {mug.pk: 1}, "SECOND": {mug.pk: 2}, "packed": {plate.pk: 1}}


def test_notices_that_changed_nothing_are_purged_after_their_retention_and_applied_ones_stay(db, settings):
    settings.SHIPSTATION_NOTICE_RETENTION_DAYS = 90
    Outcome = ShipStationNotice.Outcome
    for outcome, days_ago in [
        (Outcome.APPLIED, 400), (Outcome.REVIEW, 400), (Outcome.REFUSED, 91), (Outcome.DUPLICATE, 91),
        (Outcome.REFUSED, 89),
    ]:  # fmt: skip
        row = ShipStationNotice.objects.create(outcome=outcome, status_code=200, message=f"{outcome} {days_ago}")
        ShipStationNotice.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(days=days_ago))

    assert shipstation_notices_purge_task.apply().get() == 2

    assert sorted(ShipStationNotice.objects.values_list("message", flat=True)) == [
        "applied 400", "refused 89", "review 400",
    ]  # fmt: skip
    from backoffice.celery import app

    assert app.conf.beat_schedule["shipstation-notices-purge"]["task"] == shipstation_notices_purge_task.name
