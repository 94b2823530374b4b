"""Concurrent API requests on real PostgreSQL: each thread has its own test client and connection."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from backoffice.api.tokens import api_token_create
from backoffice.models import IdempotencyKey
from inventory import services as inventory_services
from inventory.models import StockLevel
from inventory.services import StockLine
from orders.models import Order
from pricing.models import PricingPolicy
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.api_support import order_body, post_order
from tests.pricing.factories import TaxRateFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@pytest.fixture(autouse=True)
def shipping_methods(settings):
    settings.SHIPPING_METHODS = {"standard": D("4.95"), "express": D("9.95")}


@pytest.fixture
def last_five():
    """A shop with one warehouse holding the last 5 units of LAST, and an API token."""
    PricingPolicy.current()
    warehouse = WarehouseFactory(code="LDS")
    product = ProductFactory(sku="LAST", list_price=D("9.99"))
    TaxRateFactory(tax_class=product.tax_class)
    inventory_services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 5)])
    return {"product": product, "warehouse": warehouse, "secret": api_token_create(name="Storefront")[1]}


def post_together(bodies, secret, keys=None):
    """POST each body from its own thread, all released at once; return the responses in order."""
    barrier = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def run(index):
        try:
            client = Client()
            barrier.wait()
            responses[index] = post_order(client, secret, bodies[index], key=keys[index] if keys else None)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def one_last(external_id):
    return order_body(external_id=external_id, lines=[{"sku": "LAST", "quantity": 1}])


def test_twenty_storefront_orders_for_the_last_five_units_never_oversell(last_five):
    responses = post_together([one_last(f"web-{i}") for i in range(THREADS)], last_five["secret"])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 5 + [409] * 15
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert all(body["error"] == "insufficient_stock" for body in refusals)
    assert all(body["shortages"][0]["sku"] == "LAST" for body in refusals)
    assert Order.objects.count() == 5
    level = StockLevel.objects.get(product=last_five["product"])
    assert (level.on_hand, level.reserved, level.available) == (5, 5, 0)


def test_the_same_idempotency_key_sent_ten_times_at_once_places_one_order(last_five):
    body = one_last("web-1")

    responses = post_together([body] * 10, last_five["secret"], keys=["checkout-8c1f"] * 10)

    placed = [r for r in responses if r.status_code == 201]
    waiting = [r for r in responses if r.status_code == 409]
    assert len(placed) + len(waiting) == 10
    # The winner's answer, and any replay of it, are the same bytes; the others were told to retry.
    assert placed and len({r.content for r in placed}) == 1
    assert all(r.json()["error"] == "idempotency_in_progress" for r in waiting)
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(product=last_five["product"]).reserved == 1
    assert IdempotencyKey.objects.get().response_status == 201
    (replay,) = post_together([body], last_five["secret"], keys=["checkout-8c1f"])
    assert (replay.status_code, replay.content) == (201, placed[0].content)


def test_the_same_external_id_sent_at_once_places_one_order(last_five):
    responses = post_together([one_last("web-dup")] * 5, last_five["secret"])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 4, [r.content for r in responses]
    number = next(r.json()["number"] for r in responses if r.status_code == 201)
    assert all(
        r.json() == {**r.json(), "error": "duplicate_order", "number": number}
        for r in responses[1:]
        if r.status_code == 409
    )
    assert Order.objects.count() == 1
