"""The JSON API v1 through HTTP: authentication, placing orders, idempotency, malformed input, reads."""

import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from backoffice.api.http import MAX_BODY_BYTES
from backoffice.api.idempotency import request_fingerprint
from backoffice.api.schema import validate
from backoffice.api.tokens import api_token_authenticate, api_token_create, api_token_revoke
from backoffice.models import ApiToken, IdempotencyKey
from inventory import services as inventory_services
from inventory.models import Product, StockLevel, StockMovement
from inventory.services import StockLine
from orders.api.openapi import openapi_document
from orders.models import Order, OrderEvent, TrackingEvent
from pricing.models import PricingPolicy
from tests.crm.factories import CustomerFactory
from tests.inventory.factories import KitComponentFactory, KitFactory, ProductFactory
from tests.orders.api_support import ORDER_URL, get, order_body, post_order
from tests.pricing.factories import CouponFactory, PromotionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shipping_methods(settings):
    # A machine's .env may name other methods; these tests price the defaults.
    settings.SHIPPING_METHODS = {"standard": D("4.95"), "express": D("9.95")}


@pytest.fixture
def secret(db):
    return api_token_create(name="Storefront")[1]


@pytest.fixture
def spring(db):
    """The coupon the fuzzed bodies carry, so that a body with nothing wrong is placed."""
    return CouponFactory(code="SPRING", promotion__name="Spring")


def conforms(body, schema_name):
    """No differences between an answer and its schema in the published document."""
    document = openapi_document()
    return validate(body, document["components"]["schemas"][schema_name], document=document)


def reserved(product):
    return sum(StockLevel.objects.filter(product=product).values_list("reserved", flat=True))


# --- placing orders --------------------------------------------------------------------------------


def test_an_order_is_placed_with_exact_money_and_order_discounts_inside_the_line_totals(shop, client, secret):
    PromotionFactory(name="Spring sale", kind="order_percent", value=D("10"))

    response = post_order(client, secret, order_body())

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/orders/{body['number']}"
    assert (body["status"], body["payment"]) == ("ready", {"method": "prepaid", "status": "paid"})
    assert [(li["sku"], li["unit_price"], li["discount"], li["total"], li["tax"]) for li in body["lines"]] == [
        ("MUG", "12.00", "2.40", "21.60", "3.60"),
        ("PLATE", "20.00", "2.00", "18.00", "3.00"),
    ]
    assert body["discounts"] == [
        {
            "applies_to": "order",
            "sku": None,
            "promotion": "Spring sale",
            "coupon_code": None,
            "amount": "4.40",
            "explanation": "Spring sale: 10% off",
        }
    ]
    # Prices include tax: the total is the lines and shipping; the tax is inside them.
    assert (body["subtotal"], body["discount"], body["shipping"], body["tax"], body["total"]) == (
        "44.00",
        "4.40",
        "4.95",
        "6.60",
        "44.55",
    )
    assert body["customer"] == {"name": "Ann Lee", "email": "ann@example.test", "phone": "+441134960123"}
    (shipment,) = body["shipments"]
    assert (shipment["warehouse"], shipment["method"], shipment["shipping"], shipment["status"]) == (
        "LDS",
        "standard",
        "4.95",
        "ready",
    )
    assert shipment["address"]["postal_code"] == "LS1 1AA"
    assert conforms(body, "Order") == {}
    order = Order.objects.get()
    assert (order.channel, order.external_id, order.total_amount) == ("web", "shop-1001", D("44.55"))
    assert (reserved(shop["mug"]), reserved(shop["plate"])) == (2, 1)


def test_the_timeline_names_the_token_that_placed_the_order(shop, client, secret):
    response = post_order(client, secret, order_body())

    placed = Order.objects.get(number=response.json()["number"])
    assert placed.events.first().message == "Order placed by API token Storefront via Web shop"


def test_with_prices_before_tax_the_total_adds_the_tax(shop, client, secret):
    PricingPolicy.objects.filter(pk=1).update(prices_include_tax=False)
    PromotionFactory(name="Spring sale", kind="order_percent", value=D("10"))

    body = post_order(client, secret, order_body()).json()

    assert [li["total"] for li in body["lines"]] == ["21.60", "18.00"]
    assert (body["shipping"], body["tax"], body["total"]) == ("4.95", "7.92", "52.47")
    assert D(body["total"]) == sum(D(li["total"]) for li in body["lines"]) + D(body["shipping"]) + D(body["tax"])


def test_a_coupon_on_a_line_is_explained_and_the_discounts_add_up(shop, client, secret):
    CouponFactory(
        code="MUGS20", promotion__name="Mugs", promotion__kind="line_percent", promotion__value=D("20")
    ).promotion.products.add(shop["mug"])

    body = post_order(client, secret, order_body(coupon_codes=["MUGS20"])).json()

    assert body["discounts"] == [
        {
            "applies_to": "line",
            "sku": "MUG",
            "promotion": "Mugs",
            "coupon_code": "MUGS20",
            "amount": "4.80",
            "explanation": body["discounts"][0]["explanation"],
        }
    ]
    assert "20%" in body["discounts"][0]["explanation"]
    assert body["coupon_codes"] == ["MUGS20"]
    assert sum(D(d["amount"]) for d in body["discounts"]) == D(body["discount"])


def test_a_known_customer_by_email_may_buy_on_account(shop, client, secret):
    customer = CustomerFactory(email="ann@example.test", credit_limit_amount=D("500.00"))

    response = post_order(client, secret, order_body(payment={"method": "account"}))

    assert response.status_code == 201, response.content
    assert Order.objects.get().customer == customer


def test_prepaid_without_a_reference_waits_for_payment(shop, client, secret):
    body = post_order(client, secret, order_body(payment={"method": "prepaid"})).json()

    assert (body["status"], body["hold_reason"], body["payment"]["status"]) == ("on_hold", "payment_pending", "unpaid")


def test_the_same_external_id_twice_gets_409_with_the_first_number(shop, client, secret):
    first = post_order(client, secret, order_body()).json()

    response = post_order(client, secret, order_body())

    assert response.status_code == 409
    assert response.json()["error"] == "duplicate_order"
    assert response.json()["number"] == first["number"]
    assert conforms(response.json(), "Conflict") == {}
    assert Order.objects.count() == 1


def test_short_stock_gets_409_naming_each_sku_requested_and_available(shop, client, secret):
    response = post_order(
        client, secret, order_body(lines=[{"sku": "MUG", "quantity": 15}, {"sku": "PLATE", "quantity": 1}])
    )

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "insufficient_stock"
    assert body["shortages"] == [{"sku": "MUG", "warehouse": "all warehouses", "requested": 15, "available": 14}]
    assert conforms(body, "Conflict") == {}
    assert not Order.objects.exists()
    assert reserved(shop["mug"]) == 0


# --- pick-up ---------------------------------------------------------------------------------------


def pickup_body(warehouse="BRS", **changes):
    return order_body(shipping_address=None, shipping_method="pickup", pickup_warehouse=warehouse, **changes)


def test_an_order_for_pickup_is_reserved_at_that_warehouse_and_ships_nothing(shop, client, secret):
    response = post_order(client, secret, pickup_body(lines=[{"sku": "MUG", "quantity": 3}]))

    assert response.status_code == 201, response.content
    body = response.json()
    (shipment,) = body["shipments"]
    assert (shipment["warehouse"], shipment["is_pickup"], shipment["address"], shipment["shipping"]) == (
        "BRS",
        True,
        None,
        "0.00",
    )
    assert body["shipping"] == "0.00"
    assert conforms(body, "Order") == {}
    # Leeds ranks first for GB deliveries and has the most; a pick-up takes Bristol's.
    level = StockLevel.objects.get(product=shop["mug"], warehouse=shop["bristol"])
    assert (level.reserved, reserved(shop["mug"])) == (3, 3)


@pytest.mark.parametrize("warehouse", ["LDS", "lds", "NOWHERE"])
def test_pickup_where_customers_cannot_collect_gets_400_naming_pickup_warehouse(shop, client, secret, warehouse):
    response = post_order(client, secret, pickup_body(warehouse))

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["pickup_warehouse"]
    assert f"pick up at {warehouse!r}" in response.json()["errors"]["pickup_warehouse"]
    assert conforms(response.json(), "ValidationError") == {}
    assert not Order.objects.exists()


def test_an_inactive_warehouse_is_no_pickup_location(shop, client, secret):
    type(shop["bristol"]).objects.filter(pk=shop["bristol"].pk).update(is_active=False)

    response = post_order(client, secret, pickup_body())

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["pickup_warehouse"]


def test_pickup_short_of_stock_there_is_409_even_when_another_warehouse_has_it(shop, client, secret):
    response = post_order(client, secret, pickup_body(lines=[{"sku": "MUG", "quantity": 5}]))

    assert response.status_code == 409
    assert response.json()["error"] == "insufficient_stock"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            order_body(shipping_method="pickup", pickup_warehouse="BRS"),
            {"shipping_address": "a pick-up has no delivery address; leave it out"},
        ),
        (
            order_body(shipping_address=None, shipping_method="pickup"),
            {"pickup_warehouse": "required with shipping_method pickup"},
        ),
        (order_body(pickup_warehouse="BRS"), {"pickup_warehouse": "only with shipping_method pickup"}),
        (order_body(shipping_address=None), {"shipping_address": "required"}),
        (pickup_body(" "), {"pickup_warehouse": "must not be blank"}),
        (pickup_body(7), {"pickup_warehouse": "must be a string"}),
        (pickup_body("B" * 17), {"pickup_warehouse": "must be at most 16 characters"}),
    ],
)
def test_a_delivery_needs_an_address_and_a_pickup_a_warehouse_never_both(shop, client, secret, body, errors):
    response = post_order(client, secret, body)

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == errors
    assert not Order.objects.exists()


def test_the_schema_documents_pickup(client):
    schema = client.get("/api/v1/schema").json()["components"]["schemas"]["OrderCreate"]

    assert "pickup" in schema["properties"]["shipping_method"]["enum"]
    assert "pickup_warehouse" in schema["properties"]
    assert "allow pick-up" in schema["properties"]["pickup_warehouse"]["description"]
    assert "shipping_address" not in schema["required"]


# --- authentication --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        (None, 'Bearer realm="backoffice"'),
        ("Bearer bo_" + "x" * 43, 'Bearer realm="backoffice", error="invalid_token"'),
        ("Bearer not-a-token", 'Bearer realm="backoffice", error="invalid_token"'),
        ("Basic dXNlcjpwYXNz", 'Bearer realm="backoffice", error="invalid_token"'),
    ],
)
def test_without_a_valid_token_the_answer_is_401_in_json(shop, client, authorization, challenge):
    headers = {"Authorization": authorization} if authorization else {}

    responses = [
        client.post(ORDER_URL, json.dumps(order_body()), content_type="application/json", headers=headers),
        client.get("/api/v1/stock", headers=headers),
        client.get("/api/v1/orders/SO-2026-000001", headers=headers),
    ]

    for response in responses:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == challenge
        assert response.json()["error"] == "unauthorized"
    assert not Order.objects.exists()


def test_a_revoked_token_stops_working(shop, client):
    token, secret = api_token_create(name="Old storefront")
    assert get(client, secret, "/api/v1/stock").status_code == 200

    assert api_token_revoke(token_id=token.pk) is True

    assert get(client, secret, "/api/v1/stock").status_code == 401
    assert api_token_revoke(token_id=token.pk) is False


def test_create_api_token_prints_the_token_on_its_last_line_and_stores_only_its_hash():
    output = StringIO()

    call_command("create_api_token", "Shopify storefront", stdout=output)

    secret = output.getvalue().splitlines()[-1]
    token = ApiToken.objects.get()
    assert secret.startswith("bo_") and len(secret) == 46
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.token_hash}
    assert secret.startswith(token.prefix)
    assert api_token_authenticate(authorization=f"Bearer {secret}") == token
    assert ApiToken.objects.get().last_used_at is not None


def test_create_api_token_needs_a_name():
    with pytest.raises(CommandError):
        call_command("create_api_token", "  ", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_create_api_token_takes_the_scopes_the_program_needs():
    call_command("create_api_token", "Carrier hub", "--scope", "tracking", stdout=StringIO())
    call_command("create_api_token", "Storefront", stdout=StringIO())

    assert dict(ApiToken.objects.values_list("name", "scopes")) == {
        "Carrier hub": ["tracking"],
        "Storefront": ["orders", "stock"],
    }
    with pytest.raises(CommandError):
        call_command("create_api_token", "Anything", "--scope", "admin", stdout=StringIO())
    with pytest.raises(ValueError, match="scopes"):
        api_token_create(name="Nothing", scopes=[])


def test_a_token_calls_only_what_its_scopes_allow(shop, client):
    storefront = api_token_create(name="Storefront")[1]
    carrier = api_token_create(name="Carrier hub", scopes=["tracking"])[1]
    event = {"event_id": "E1", "tracking_number": "LC1", "status": "delivered", "time": "2026-06-01T12:00:00Z"}

    refused = [
        client.post(
            "/api/v1/tracking-events", data=event, content_type="application/json",
            headers={"Authorization": f"Bearer {storefront}"},
        ),
        post_order(client, carrier, order_body()),
        get(client, carrier, "/api/v1/stock"),
        get(client, carrier, "/api/v1/orders/SO-2026-000001"),
    ]  # fmt: skip

    for response in refused:
        assert response.status_code == 403
        assert response.json()["error"] == "insufficient_scope"
        assert "insufficient_scope" in response["WWW-Authenticate"]
    assert "needs the scope 'tracking'" in refused[0].json()["message"]
    assert not Order.objects.exists() and not TrackingEvent.objects.exists()
    assert get(client, storefront, "/api/v1/stock").status_code == 200


def test_managers_change_a_tokens_scopes_in_the_admin(client_as):
    token, _ = api_token_create(name="Carrier hub")
    manager = client_as("Manager", is_staff=True)
    url = f"/admin/backoffice/apitoken/{token.pk}/change/"

    page = manager.get(url)
    response = manager.post(url, {"scopes": ["stock", "tracking"]})
    none = manager.post(url, {})

    assert page.status_code == 200 and "tracking events (ships and delivers parcels)" in page.content.decode()
    assert response.status_code == 302
    assert none.status_code == 200 and "This field is required" in none.content.decode()
    token.refresh_from_db()
    assert token.scopes == ["stock", "tracking"]


# --- idempotency -----------------------------------------------------------------------------------


def test_a_repeated_key_gets_the_identical_first_answer_and_creates_nothing(shop, client, secret):
    first = post_order(client, secret, order_body(), key="7f9c2ba4-e88f-4273-8c3a-5f0a2d3b1c01")
    events = OrderEvent.objects.count()
    movements = StockMovement.objects.count()
    # The same body with its members in another order and other spacing is the same request.
    same = json.dumps(dict(reversed(list(order_body().items()))), indent=2)

    replay = post_order(client, secret, same, key="7f9c2ba4-e88f-4273-8c3a-5f0a2d3b1c01")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.content == first.content
    assert replay["Location"] == first["Location"]
    assert replay["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1
    assert (StockMovement.objects.count(), OrderEvent.objects.count()) == (movements, events)
    assert reserved(shop["mug"]) == 2
    stored = IdempotencyKey.objects.get()
    assert (stored.response_status, stored.response_body) == (201, first.content.decode())


def test_the_same_key_with_another_body_gets_422(shop, client, secret):
    post_order(client, secret, order_body(), key="key-1")

    response = post_order(client, secret, order_body(external_id="shop-1002"), key="key-1")

    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_a_refusal_is_replayed_too_and_a_malformed_request_does_not_use_up_its_key(shop, client, secret):
    short = order_body(lines=[{"sku": "MUG", "quantity": 15}])
    refused = post_order(client, secret, short, key="key-short")
    inventory_services.stock_receive(warehouse_id=shop["leeds"].pk, lines=[StockLine(shop["mug"].pk, 10)])

    again = post_order(client, secret, short, key="key-short")
    malformed = post_order(client, secret, order_body(lines=[]), key="key-2")
    fixed = post_order(client, secret, order_body(), key="key-2")

    assert (refused.status_code, again.status_code) == (409, 409)
    assert again.content == refused.content
    assert malformed.status_code == 400
    assert fixed.status_code == 201
    assert Order.objects.count() == 1


def test_a_key_claimed_without_an_answer_gets_409_in_progress(shop, client, secret):
    """Only claims written before answers were stored with the order lack one; they are never replayed
    as anything but "in progress" (a concurrent first request is in test_api_concurrency.py)."""
    token = ApiToken.objects.get()
    fingerprint = request_fingerprint(method="POST", path=ORDER_URL, payload=order_body())
    IdempotencyKey.objects.create(token=token, key="key-busy", request_hash=fingerprint)

    response = post_order(client, secret, order_body(), key="key-busy")

    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_in_progress"
    assert response["Retry-After"] == "1"
    assert not Order.objects.exists()


def test_keys_belong_to_their_token(shop, client, secret):
    other = api_token_create(name="Marketplace")[1]
    post_order(client, secret, order_body(), key="key-1")

    response = post_order(client, other, order_body(external_id="mp-77"), key="key-1")

    assert response.status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "two words"])
def test_a_malformed_idempotency_key_is_a_400(shop, client, secret, key):
    response = post_order(client, secret, order_body(), key=key)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]


# --- malformed input -------------------------------------------------------------------------------


def _line(**fields):
    return [{"sku": "MUG", "quantity": 1, **fields}, {"sku": "PLATE", "quantity": 1}]


def _address(**fields):
    return {**order_body()["shipping_address"], **fields}


INVALID_BODIES = [
    (order_body(channel=None), "channel", "required"),
    (order_body(channel="fax"), "channel", "must be one of web, phone, trade_show, pos,"),
    (order_body(channel=7), "channel", "must be a string"),
    (order_body(customer=None), "customer", "required"),
    (order_body(customer="Ann Lee"), "customer", "must be an object"),
    (order_body(customer={"name": 42}), "customer.name", "must be a string"),
    (order_body(customer={"name": "   "}), "customer.name", "must not be blank"),
    (
        order_body(customer={"name": "Ann", "email": "ann-at-example"}),
        "customer.email",
        "“ann-at-example” is not an e-mail address.",
    ),
    (order_body(customer={"name": "Ann", "phone": "12"}), "customer.phone", "“12” is not a valid phone number in GB;"),
    (order_body(customer={"name": "Ann\u0000Lee"}), "customer.name", "must not contain control characters or"),
    (order_body(customer={"name": "Ann", "vip": True}), "customer.vip", "unknown field"),
    (order_body(lines=None), "lines", "required"),
    (order_body(lines=[]), "lines", "must hold at least 1 item(s)"),
    (order_body(lines={"sku": "MUG"}), "lines", "must be an array"),
    (order_body(lines=[["MUG", 1]]), "lines[0]", "must be an object"),
    (order_body(lines=[{"sku": "MUG", "quantity": 1}] * 201), "lines", "must hold at most 200 items"),
    (order_body(lines=_line(quantity=-1)), "lines[0].quantity", "must be 1 or more"),
    (order_body(lines=_line(quantity=0)), "lines[0].quantity", "must be 1 or more"),
    (order_body(lines=_line(quantity=1.5)), "lines[0].quantity", "must be an integer"),
    (order_body(lines=_line(quantity=True)), "lines[0].quantity", "must be an integer"),
    (order_body(lines=_line(quantity="2")), "lines[0].quantity", "must be an integer"),
    (order_body(lines=_line(quantity=10**30)), "lines[0].quantity", "must be 100000 or less"),
    (order_body(lines=[{"quantity": 1}]), "lines[0].sku", "required"),
    (
        order_body(lines=[{"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": None}]),
        "lines[1].quantity",
        "must be an integer",
    ),
    (order_body(lines=_line(allow_backorder=True)), "lines[0].allow_backorder", "unknown field"),
    (order_body(lines=_line(sku="NOPE")), "lines[0].sku", "unknown SKU 'NOPE'"),
    (order_body(shipping_address=None), "shipping_address", "required"),
    (
        order_body(shipping_address=_address(country="XX")),
        "shipping_address.country",
        "“XX” is not an ISO 3166-1 country code (e.g.",
    ),
    (
        order_body(shipping_address=_address(country="United Kingdom")),
        "shipping_address.country",
        "must be at most 2 characters",
    ),
    (
        order_body(shipping_address=_address(postal_code="12345")),
        "shipping_address.postal_code",
        "“12345” is not a UK postcode.",
    ),
    (order_body(shipping_address=_address(city=None)), "shipping_address.city", "must be a string"),
    (order_body(billing_address={**_address(), "company": "Lee Ltd"}), "billing_address.company", "unknown field"),
    (order_body(billing_address=[]), "billing_address", "must be an object"),
    (order_body(shipping_method="teleport"), "shipping_method", "must be one of express, pickup, standard"),
    (order_body(payment=None), "payment", "required"),
    (order_body(payment={"method": "cash"}), "payment.method", "must be one of prepaid, cod, account"),
    (
        order_body(payment={"method": "cod", "reference": "r-1"}),
        "payment.reference",
        "only a prepaid payment that has been",
    ),
    (order_body(payment={"method": "account"}), "payment.method", "only a known customer can buy on account"),
    (order_body(coupon_codes="SPRING"), "coupon_codes", "must be an array"),
    (order_body(coupon_codes=["NOPE"]), "coupon_codes[0]", "unknown code"),
    (order_body(external_id=""), "external_id", "must not be empty"),
    (order_body(external_id="x" * 101), "external_id", "must be at most 100 characters"),
    (order_body(notes="leave at the door"), "notes", "unknown field"),
    ([order_body()], "body", "must be an object"),
    ("an order", "body", "must be an object"),
    (None, "body", "must be an object"),
    (42, "body", "must be an object"),
]


@pytest.mark.parametrize(("body", "path", "message"), INVALID_BODIES)
def test_invalid_bodies_get_400_with_field_paths(shop, client, secret, body, path, message):
    response = post_order(client, secret, json.dumps(body))

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    errors = response.json()["errors"]
    assert list(errors) == [path]
    assert errors[path].startswith(message), errors
    assert conforms(response.json(), "ValidationError") == {}
    assert not Order.objects.exists()


def test_every_problem_is_named_at_once(shop, client, secret):
    body = order_body(lines=_line(quantity=0), shipping_method="teleport", payment={"method": "cash"}, extra=1)

    errors = post_order(client, secret, body).json()["errors"]

    assert set(errors) == {"lines[0].quantity", "shipping_method", "payment.method", "extra"}


NOT_JSON = [
    (b"", "application/json", 400, "invalid_json"),
    (b"   ", "application/json", 400, "invalid_json"),
    (b"order please", "application/json", 400, "invalid_json"),
    (b'{"channel": "web"', "application/json", 400, "invalid_json"),
    (b'{"channel": "web", "channel": "api"}', "application/json", 400, "invalid_json"),
    (b'{"lines": [{"sku": "MUG", "quantity": NaN}]}', "application/json", 400, "invalid_json"),
    (b'{"lines": [{"sku": "MUG", "quantity": Infinity}]}', "application/json", 400, "invalid_json"),
    (b'{"customer": {"name": "\\ud800"}}', "application/json", 400, "invalid_request"),
    (b"\xff\xfe{}", "application/json", 400, "invalid_json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json"),
    (b"1" * 5000, "application/json", 400, "invalid_json"),
    (b"channel=web", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"{}", "text/plain", 415, "unsupported_media_type"),
    (b"{}", "application/json; charset=latin-1", 415, "unsupported_media_type"),
    (b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}', "application/json", 413, "payload_too_large"),
]


@pytest.mark.parametrize(("raw", "content_type", "status", "code"), NOT_JSON)
def test_bodies_that_are_not_a_json_object_get_4xx(shop, client, secret, raw, content_type, status, code):
    response = post_order(client, secret, raw, content_type=content_type)

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == code
    assert not Order.objects.exists()


def test_a_malformed_content_length_is_a_400(shop, client, secret):
    response = post_order(client, secret, b"{}", CONTENT_LENGTH="12abc")

    assert response.status_code == 400


JSON_SCALARS = {
    "null": st.none(),
    "boolean": st.booleans(),
    "integer": st.integers(),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "string": st.text(max_size=20),
}
JSON_VALUES = st.recursive(
    st.one_of(*JSON_SCALARS.values()),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
JSON_OF_TYPE = {
    **JSON_SCALARS,
    "array": st.lists(JSON_VALUES, max_size=4),
    "object": st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=4),
}


def _field_paths(schema, document, path=()):
    """Every field path of a schema with the JSON types it allows: ("lines", 0, "quantity"), ["integer"]."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    paths = [(path, types)]
    for name, member in schema.get("properties", {}).items():
        paths += _field_paths(member, document, (*path, name))
    if "items" in schema:
        paths += _field_paths(schema["items"], document, (*path, 0))
    return paths


ORDER_DOCUMENT = openapi_document()
FIELD_PATHS = _field_paths(ORDER_DOCUMENT["components"]["schemas"]["OrderCreate"], ORDER_DOCUMENT)


def _body_with(path, value):
    """A valid order (a pick-up when the path is its warehouse; else with every optional member but the
    external id) with the member at `path` replaced by `value`."""
    # No external id unless fuzzed: valid bodies are placed (until the stock runs out), not duplicates.
    if path and path[0] == "pickup_warehouse":
        body = order_body(external_id=None, shipping_address=None, shipping_method="pickup", pickup_warehouse="BRS")
    else:
        body = order_body(external_id=None, billing_address=_address(), coupon_codes=["SPRING"])
    if not path:
        return value
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def _created():
    return [model.objects.count() for model in (Order, OrderEvent, StockMovement, IdempotencyKey)]


@st.composite
def wrong_types(draw):
    path, allowed = draw(st.sampled_from(FIELD_PATHS))
    wrong = draw(st.sampled_from(sorted(set(JSON_OF_TYPE) - set(allowed) - ({"number"} & set(allowed)))))
    return path, draw(JSON_OF_TYPE[wrong])


def test_the_fuzzed_paths_cover_every_field_of_the_schema():
    paths = {path for path, _ in FIELD_PATHS}

    assert {(), ("lines", 0, "quantity"), ("billing_address", "country"), ("pickup_warehouse",)} <= paths
    assert len(paths) == len(FIELD_PATHS) > 25


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=wrong_types())
def test_a_value_of_the_wrong_type_at_any_field_path_gets_400_there_and_creates_nothing(
    shop, spring, client, secret, case
):
    path, value = case
    before = _created()

    # Encoded here: post_order sends a str as it is, and a JSON string is a body too.
    response = post_order(client, secret, json.dumps(_body_with(path, value)), key="fuzz-key")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    name = "body" if not path else ".".join(str(s) for s in path).replace(".0", "[0]")
    assert name in response.json()["errors"], response.json()
    assert _created() == before


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from([path for path, _ in FIELD_PATHS]), value=JSON_VALUES, drop=st.booleans())
def test_any_json_at_any_field_path_never_gets_a_server_error(shop, spring, client, secret, path, value, drop):
    """Any JSON value at any field path, or the member left out: placed (201), or a 400, 409 or 422 that
    leaves nothing behind. The test client re-raises a view's exception, so a server error fails too."""
    body = _body_with(path, value)
    if drop and path:
        target = body
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    before = _created()

    key = f"fuzz-{uuid.uuid4()}"

    response = post_order(client, secret, json.dumps(body), key=key)

    assert response.status_code in (201, 400, 409, 422), response.content
    assert response["Content-Type"] == "application/json"
    event(f"status {response.status_code}")
    after = _created()
    if response.status_code == 201:
        assert after[0] == before[0] + 1
    else:
        # Nothing but, for a refusal by the service (not by parsing), the answer kept for replays.
        assert after[:3] == before[:3]
        assert after[3] - before[3] in (0, 1)
        if after[3] > before[3]:
            assert IdempotencyKey.objects.get(key=key).response_body == response.content.decode()


# --- reading orders and stock ----------------------------------------------------------------------


def test_get_an_order_with_status_shipments_and_tracking(shop, client, secret):
    placed = post_order(client, secret, order_body()).json()

    response = get(client, secret, f"/api/v1/orders/{placed['number']}")

    assert response.status_code == 200
    assert response.json() == placed
    assert response.json()["shipments"][0]["tracking_numbers"] == []
    assert conforms(response.json(), "Order") == {}


@pytest.mark.parametrize("path", ["/api/v1/orders/SO-1999-000001", "/api/v1/orders/%00", "/api/v1/nothing", "/api/v1/"])
def test_unknown_api_paths_get_a_json_404(shop, client, secret, path):
    response = get(client, secret, path)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_other_methods_get_a_json_405(shop, client, secret):
    response = client.delete(ORDER_URL, headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"


def test_stock_of_given_skus_per_warehouse(shop, client, secret):
    post_order(client, secret, order_body())

    response = get(client, secret, "/api/v1/stock?sku=plate&sku=MUG&sku=NOPE")

    assert response.status_code == 200
    body = response.json()
    assert [(item["sku"], item["available"], item["warehouses"]) for item in body["results"]] == [
        (
            "MUG",
            12,
            [
                {"code": "BRS", "on_hand": 4, "reserved": 0, "available": 4},
                {"code": "LDS", "on_hand": 10, "reserved": 2, "available": 8},
            ],
        ),
        (
            "PLATE",
            13,
            [
                {"code": "BRS", "on_hand": 4, "reserved": 0, "available": 4},
                {"code": "LDS", "on_hand": 10, "reserved": 1, "available": 9},
            ],
        ),
    ]
    assert (body["next"], body["unknown_skus"]) == (None, ["NOPE"])
    assert conforms(body, "StockPage") == {}


def test_a_kit_has_what_its_components_make(shop, client, secret):
    kit = KitFactory(sku="BREAKFAST")
    KitComponentFactory(kit=kit, component=shop["mug"], quantity=2)
    KitComponentFactory(kit=kit, component=shop["plate"], quantity=1)

    (item,) = get(client, secret, "/api/v1/stock?sku=BREAKFAST").json()["results"]

    assert item["available"] == 7
    assert [(w["code"], w["available"]) for w in item["warehouses"]] == [("BRS", 2), ("LDS", 5)]


def _catalogue(shop, count):
    products = [ProductFactory(sku=f"TEA-{n:02d}") for n in range(count)]
    inventory_services.stock_receive(
        warehouse_id=shop["leeds"].pk, lines=[StockLine(product.pk, 3) for product in products]
    )
    return products


def _all_pages(client, secret, url, *, items=False):
    results, pages = [], 0
    while url:
        body = get(client, secret, url).json()
        assert conforms(body, "StockPage") == {}
        results += body["results"] if items else [item["sku"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    return results, pages


def test_without_skus_every_active_sku_is_listed_a_page_at_a_time(shop, client, secret):
    products = _catalogue(shop, 5)
    Product.objects.filter(pk=products[2].pk).update(is_active=False)

    skus, pages = _all_pages(client, secret, "/api/v1/stock?limit=2")

    assert skus == ["MUG", "PLATE", "TEA-00", "TEA-01", "TEA-03", "TEA-04"]
    assert pages == 3


def test_updated_since_lists_what_changed_and_what_was_deactivated_in_order_of_change(shop, client, secret):
    products = _catalogue(shop, 4)
    before, since = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
    Product.objects.update(updated_at=before)
    StockLevel.objects.update(updated_at=before)
    # Changed after `since`: PLATE's stock (a part of a kit), TEA-02 deactivated, TEA-01's stock.
    StockLevel.objects.filter(product=shop["plate"], warehouse=shop["bristol"]).update(updated_at=_may(3))
    Product.objects.filter(pk=products[2].pk).update(is_active=False, updated_at=_may(4))
    StockLevel.objects.filter(product=products[1]).update(updated_at=_may(5))
    kit = KitFactory(sku="SET")
    KitComponentFactory(kit=kit, component=shop["plate"])
    Product.objects.filter(pk=kit.pk).update(updated_at=before)

    url = f"/api/v1/stock?limit=2&updated_since={since.isoformat().replace('+00:00', 'Z')}"
    items, _ = _all_pages(client, secret, url, items=True)

    # PLATE and SET changed at the same moment: by product id, the older product first.
    assert [(item["sku"], item["is_active"], item["updated_at"]) for item in items] == [
        ("PLATE", True, _may(3).isoformat()),
        ("SET", True, _may(3).isoformat()),
        ("TEA-02", False, _may(4).isoformat()),
        ("TEA-01", True, _may(5).isoformat()),
    ]


def _may(day):
    return datetime(2026, 5, day, tzinfo=UTC)


def test_a_long_run_of_superseded_changes_gives_short_pages_but_every_sku(shop, client, secret):
    products = _catalogue(shop, 20)
    # Every product row changed on the 3rd, and then its stock on the 4th: the rows of the 3rd are
    # passed over, a few batches a request, so the first pages come back empty but with a `next`.
    Product.objects.update(updated_at=_may(3))
    StockLevel.objects.update(updated_at=_may(4))

    pages = []
    url = "/api/v1/stock?limit=1&updated_since=2026-05-02T00:00:00Z"
    while url:
        body = get(client, secret, url).json()
        pages.append([item["sku"] for item in body["results"]])
        url = body["next"]

    assert [] in pages
    assert all(len(page) <= 1 for page in pages)
    listed = [sku for page in pages for sku in page]
    assert sorted(listed) == sorted(["MUG", "PLATE", *(p.sku for p in products)])


def test_the_change_feed_costs_the_same_queries_whatever_the_page_size(shop, client, secret):
    _catalogue(shop, 8)
    # As it goes in a shop: each SKU's latest change is one row (here, its stock in Leeds).
    Product.objects.update(updated_at=_may(1))
    StockLevel.objects.update(updated_at=_may(1))
    for day, level in enumerate(StockLevel.objects.filter(warehouse=shop["leeds"]).order_by("pk"), start=2):
        StockLevel.objects.filter(pk=level.pk).update(updated_at=_may(day))
    get(client, secret, "/api/v1/stock?limit=1")
    counts = []
    for limit in (2, 8):
        with CaptureQueriesContext(connection) as queries:
            response = get(client, secret, f"/api/v1/stock?limit={limit}&updated_since=2026-05-01T12:00:00Z")
        assert len(response.json()["results"]) == limit
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_stock_list_costs_the_same_queries_whatever_the_page_size(shop, client, secret):
    _catalogue(shop, 8)
    # The first request of a token notes when it was used; later ones within the minute do not.
    get(client, secret, "/api/v1/stock?limit=1")
    counts = []
    for limit in (2, 8):
        with CaptureQueriesContext(connection) as queries:
            assert len(get(client, secret, f"/api/v1/stock?limit={limit}").json()["results"]) == limit
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=two", "limit"),
        ("limit=%C2%B2", "limit"),
        ("limit=1&limit=2", "limit"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-05-01T12:00:00", "updated_since"),
        ("updated_since=2026-13-01T12:00:00Z", "updated_since"),
        ("sku=", "sku"),
        ("sku=%00", "sku"),
        ("sku=MUG&limit=5", "sku"),
        ("after=%00", "after"),
        ("updated_since=2026-05-01T12:00:00Z&after=TEA-01", "after"),
        ("updated_since=2026-05-01T12:00:00Z&after=12_", "after"),
        ("updated_since=2026-05-01T12:00:00Z&after=1_99999999999999999999", "after"),
        ("page=2", "page"),
    ],
)
def test_bad_stock_queries_get_400(shop, client, secret, query, field):
    response = get(client, secret, f"/api/v1/stock?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- the schema ------------------------------------------------------------------------------------


def test_the_openapi_document_is_served_without_a_token_and_its_references_resolve(client):
    response = client.get("/api/v1/schema")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/orders", "/orders/{number}", "/stock", "/schema", "/tracking-events"}
    references = set()

    def collect(node):
        if isinstance(node, dict):
            references.update([node["$ref"]] if "$ref" in node else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    names = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    assert references and references <= names
    for operation in (op for path in document["paths"].values() for op in path.values()):
        assert operation["responses"], operation["operationId"]
