"""Concurrent API requests on real PostgreSQL: each thread has its own test client and connection."""

import threading
import time
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.test import Client

from backoffice.api import idempotency
from backoffice.api.tokens import api_token_create
from backoffice.models import IdempotencyKey
from inventory import services as inventory_services
from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine
from orders.models import Order
from pricing.models import PricingPolicy
from tests.concurrency import run_together
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

    def post(index):
        return post_order(Client(), secret, bodies[index], key=keys[index] if keys else None)

    return run_together(post, len(bodies))


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

    # The first to claim the key placed the order; the others waited for it and got its answer.
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.content for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r for r in responses) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(product=last_five["product"]).reserved == 1
    assert IdempotencyKey.objects.get().response_status == 201
    (replay,) = post_together([body], last_five["secret"], keys=["checkout-8c1f"])
    assert (replay.status_code, replay.content) == (201, responses[0].content)


def test_one_key_sent_at_once_with_different_bodies_places_one_and_refuses_the_others(last_five):
    bodies = [one_last(f"web-{i}") for i in range(5)]

    responses = post_together(bodies, last_five["secret"], keys=["checkout-2b7e"] * 5)

    assert sorted(r.status_code for r in responses) == [201, 422, 422, 422, 422]
    assert Order.objects.count() == 1


def _wait_for_a_lock_wait(table):
    """Until some connection waits for a row lock in `table` (the request held up there)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                [f"%{table}%"],
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError(f"no request came to wait for a lock in {table}")


def test_a_repeat_while_the_first_is_held_up_gets_409_in_progress_and_later_its_answer(last_five, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", timedelta(milliseconds=300))
    body, secret = one_last("web-slow"), last_five["secret"]
    locked, release = threading.Event(), threading.Event()

    def hold_the_stock():
        # Someone else's long stock operation: the first request claims its key, then waits here.
        try:
            with transaction.atomic():
                StockLevel.objects.select_for_update().get(product=last_five["product"])
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_stock)
    holder.start()
    locked.wait(timeout=10)
    first = []
    runner = threading.Thread(target=lambda: first.extend(post_together([body], secret, keys=["checkout-slow"])))
    runner.start()
    _wait_for_a_lock_wait("inventory_stocklevel")

    repeat = post_order(Client(), secret, body, key="checkout-slow")
    release.set()
    holder.join(timeout=30)
    runner.join(timeout=30)
    later = post_order(Client(), secret, body, key="checkout-slow")

    assert repeat.status_code == 409
    assert (repeat.json()["error"], repeat["Retry-After"]) == ("idempotency_in_progress", "1")
    assert first[0].status_code == 201
    assert (later.status_code, later.content, later["Idempotent-Replayed"]) == (201, first[0].content, "true")
    assert Order.objects.count() == 1


@pytest.fixture
def answer_storage():
    """Lets a test make the database refuse to store idempotency answers, as if the process died right
    between placing an order and recording its answer; `.refuse()` and `.allow()`."""

    class Storage:
        refused = False

        def refuse(self):
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    CREATE FUNCTION test_refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'the answer could not be stored'; END $$;
                    CREATE TRIGGER test_refuse_answer BEFORE UPDATE ON backoffice_idempotencykey
                       FOR EACH ROW EXECUTE FUNCTION test_refuse_answer();
                    """
                )
            self.refused = True

        def allow(self):
            with connection.cursor() as cursor:
                cursor.execute(
                    "DROP TRIGGER test_refuse_answer ON backoffice_idempotencykey; DROP FUNCTION test_refuse_answer();"
                )
            self.refused = False

    storage = Storage()
    yield storage
    if storage.refused:
        storage.allow()


def test_an_order_and_its_idempotency_answer_are_committed_together(last_five, answer_storage):
    body, secret = one_last("web-atomic"), last_five["secret"]
    answer_storage.refuse()

    failed = post_order(Client(raise_request_exception=False), secret, body, key="checkout-atomic")

    assert failed.status_code == 500
    # Nothing of the order is left, not even the claim of its key...
    assert not Order.objects.exists() and not IdempotencyKey.objects.exists()
    assert not StockMovement.objects.filter(kind="reservation").exists()
    assert StockLevel.objects.get(product=last_five["product"]).reserved == 0
    # ...so the client's retry with the same key places it, once.
    answer_storage.allow()
    retries = [post_order(Client(), secret, body, key="checkout-atomic") for _ in range(2)]
    assert [r.status_code for r in retries] == [201, 201]
    assert retries[0].content == retries[1].content
    assert Order.objects.count() == 1


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
