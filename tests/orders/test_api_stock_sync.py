"""A storefront keeping its copy of the stock in sync through GET /api/v1/stock?updated_since=, while
orders, receipts and catalogue edits go on between its requests. Real commits: change times are the
times of the changing transactions, as in production."""

from datetime import datetime
from decimal import Decimal as D
from urllib.parse import urlencode

import pytest
from django.test import Client

from backoffice.api.tokens import api_token_create
from inventory import services as inventory_services
from inventory.models import Product, StockLevel
from inventory.services import StockLine
from pricing.models import PricingPolicy
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.api_support import get, order_body, post_order
from tests.pricing.factories import TaxRateFactory

pytestmark = pytest.mark.django_db(transaction=True)

SKUS = [f"SKU-{n}" for n in range(1, 10)]


@pytest.fixture(autouse=True)
def shipping_methods(settings):
    settings.SHIPPING_METHODS = {"standard": D("4.95")}


@pytest.fixture
def shop():
    """Nine products with 5 units each in Leeds, and a storefront's API token."""
    PricingPolicy.current()
    warehouse = WarehouseFactory(code="LDS")
    products = {sku: ProductFactory(sku=sku, list_price=D("9.99")) for sku in SKUS}
    TaxRateFactory(tax_class=products["SKU-1"].tax_class)
    for product in products.values():
        inventory_services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 5)])
    return {"warehouse": warehouse, "products": products, "secret": api_token_create(name="Storefront")[1]}


class Storefront:
    """A storefront's copy of what it may sell, synced as the API documents: a full listing once, then
    every change since the latest change time it has seen, following `next` to the end."""

    def __init__(self, secret):
        self.client, self.secret = Client(), secret
        self.available: dict[str, int] = {}
        self.seen_up_to: datetime | None = None

    def full_sync(self):
        self._follow("/api/v1/stock?limit=4")

    def incremental_sync(self, *, between_pages=lambda page_number, listed: None) -> list[str]:
        """Every SKU listed, in order; `between_pages` runs after each page but the last, as if other
        people changed stock while the storefront was paging."""
        query = urlencode({"limit": 2, "updated_since": self.seen_up_to.isoformat()})
        return self._follow(f"/api/v1/stock?{query}", between_pages)

    def _follow(self, url, between_pages=None) -> list[str]:
        listed, page_number = [], 0
        while url:
            body = get(self.client, self.secret, url).json()
            for item in body["results"]:
                listed.append(item["sku"])
                if item["is_active"]:
                    self.available[item["sku"]] = item["available"]
                else:
                    self.available.pop(item["sku"], None)
                moment = datetime.fromisoformat(item["updated_at"])
                self.seen_up_to = max(self.seen_up_to or moment, moment)
            url, page_number = body["next"], page_number + 1
            if url and between_pages:
                between_pages(page_number, listed)
        return listed


def truth() -> dict[str, int]:
    levels = StockLevel.objects.filter(product__is_active=True, warehouse__is_active=True)
    available = dict.fromkeys(Product.objects.filter(is_active=True).values_list("sku", flat=True), 0)
    for sku, amount in levels.values_list("product__sku", "available"):
        available[sku] += amount
    return available


def test_a_storefront_paging_through_changes_while_stock_moves_misses_nothing(shop):
    products, warehouse, secret = shop["products"], shop["warehouse"], shop["secret"]
    storefront = Storefront(secret)
    storefront.full_sync()
    assert storefront.available == truth() == dict.fromkeys(SKUS, 5)

    def buy(sku, quantity=1):
        body = order_body(external_id=None, lines=[{"sku": sku, "quantity": quantity}])
        assert post_order(Client(), secret, body).status_code == 201

    def receive(sku, quantity):
        inventory_services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(products[sku].pk, quantity)])

    # Before the sync: four SKUs change.
    buy("SKU-2")
    receive("SKU-7", 3)
    buy("SKU-4", 2)
    receive("SKU-1", 1)

    def meanwhile(page_number, listed):
        if page_number == 1:
            # One SKU the storefront has just read, one it has not reached, and one it has not reached
            # that will not be sold any more.
            buy(listed[0])
            inventory_services.stock_adjust(
                product_id=products["SKU-9"].pk, warehouse_id=warehouse.pk, quantity=-2, reason="Damaged"
            )
            products["SKU-4"].is_active = False
            products["SKU-4"].save()
        elif page_number == 2:
            receive("SKU-2", 4)

    listed = storefront.incremental_sync(between_pages=meanwhile)

    # In order of their latest change: what changed after it was read came again later in the same
    # pass (SKU-2, twice), what changed before it was reached came once, at its latest change (SKU-4),
    # and nothing unchanged came.
    assert listed == ["SKU-2", "SKU-7", "SKU-1", "SKU-2", "SKU-9", "SKU-4", "SKU-2"]
    assert storefront.available == truth()
    assert "SKU-4" not in storefront.available

    # The next sync lists only what changed after the last one, and catches the storefront up again.
    buy("SKU-5", 3)
    receive("SKU-9", 2)

    assert storefront.incremental_sync() == ["SKU-5", "SKU-9"]
    assert storefront.available == truth()
    assert storefront.incremental_sync() == []
