"""The pricing reference data cached per process (pricing/cache.py): read once, and never used after
a change, whoever makes it, in this process, another connection or another process."""

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pricing import cache, selectors
from pricing.models import PricingPolicy, Promotion
from tests.inventory.factories import ProductFactory
from tests.pricing.factories import PriceListItemFactory, PromotionFactory, TaxRateFactory


def catalog(product, at=None):
    return selectors.pricing_catalog(product_ids=[product.pk], at=at or timezone.now())


def promotion_values(product, at=None) -> list[D]:
    return [p.value for p in catalog(product, at).promotions]


@pytest.fixture
def lamp(db):
    PricingPolicy.current()
    lamp = ProductFactory(sku="LAMP", list_price=D("30.00"))
    TaxRateFactory(tax_class=lamp.tax_class, rate=D("0.2000"), valid_from="2020-01-01")
    PromotionFactory(kind="line_percent", value=D("10")).products.add(lamp)
    return lamp


def test_the_reference_data_is_loaded_once_and_then_costs_no_query(lamp):
    catalog(lamp)

    with CaptureQueriesContext(connection) as queries:
        again = catalog(lamp)

    # The products with their price-list prices and the version: one query.
    assert len(queries) == 1
    assert [p.value for p in again.promotions] == [D("10")]
    assert again.products[lamp.pk].tax_rate == D("0.2000")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda lamp: PromotionFactory(kind="order_percent", value=D("5")), id="promotion added"),
        pytest.param(lambda lamp: Promotion.objects.update(value=D("15")), id="promotion changed"),
        pytest.param(lambda lamp: Promotion.objects.update(is_active=False), id="promotion ended"),
        pytest.param(lambda lamp: Promotion.objects.all().delete(), id="promotion deleted"),
        pytest.param(lambda lamp: Promotion.products.through.objects.all().delete(), id="promotion's products"),
        pytest.param(
            lambda lamp: TaxRateFactory(tax_class=lamp.tax_class, rate=D("0.1000"), valid_from=timezone.now().date()),
            id="tax rate",
        ),
        pytest.param(
            lambda lamp: PricingPolicy.objects.update(prices_include_tax=False, margin_floor=D("1.5")), id="policy"
        ),
        pytest.param(lambda lamp: PriceListItemFactory(product=lamp, unit_price=D("25.00")), id="price list"),
    ],
)
def test_each_change_is_seen_by_the_next_cart(lamp, change):
    before = catalog(lamp)

    change(lamp)
    after = catalog(lamp)

    assert _facts(after) != _facts(before)
    assert _facts(after) == _facts(_fresh(lamp))


class Undone(Exception):
    pass


def _change_and_roll_back(lamp, value):
    with pytest.raises(Undone), transaction.atomic():
        Promotion.objects.update(value=value)
        # Priced inside the transaction that changes it: the change applies (and is cached).
        assert promotion_values(lamp) == [value]
        raise Undone


def test_a_change_rolled_back_is_forgotten(lamp):
    catalog(lamp)

    _change_and_roll_back(lamp, D("50"))

    assert promotion_values(lamp) == [D("10")]


def test_the_version_of_a_change_rolled_back_is_never_issued_again(lamp):
    catalog(lamp)
    _change_and_roll_back(lamp, D("50"))

    # The next change gets a version of its own, not the one the cache holds the undone change under.
    Promotion.objects.update(value=D("60"))

    assert promotion_values(lamp) == [D("60")]


def test_a_back_dated_cart_sees_the_promotions_of_its_day(lamp):
    now = timezone.now()
    PromotionFactory(
        kind="line_percent", value=D("20"), starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=2)
    )

    assert promotion_values(lamp) == [D("10")]
    assert sorted(promotion_values(lamp, at=now - timedelta(days=3))) == [D("10"), D("20")]
    assert promotion_values(lamp) == [D("10")]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_once_it_is_committed(lamp):
    assert promotion_values(lamp) == [D("10")]
    # Another machine: its own connection to the same database.
    with psycopg.connect(**_connection_parameters()) as other:
        other.execute("UPDATE pricing_promotion SET value = 40")
        # Not committed yet: nobody else sees it, and the cache may not claim it either.
        assert promotion_values(lamp) == [D("10")]
        other.commit()

        assert promotion_values(lamp) == [D("40")]


@pytest.mark.django_db(transaction=True)
def test_another_process_sees_a_change_made_here_on_its_next_cart(lamp):
    process = subprocess.Popen(
        [sys.executable, "-c", PRICING_PROCESS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TEST_WORKER_DATABASE_NAME": connection.settings_dict["NAME"],
        },
    )
    try:
        first, cached = _price_there(process, lamp), _price_there(process, lamp)
        Promotion.objects.update(value=D("25"))
        changed, cached_again = _price_there(process, lamp), _price_there(process, lamp)
    finally:
        process.stdin.close()
        process.wait(timeout=30)

    # (promotion values, queries): the second cart of each pair is priced from the cache.
    assert first == ("10", 6) and cached == ("10", 1)
    assert changed == ("25", 6) and cached_again == ("25", 1)


# Prices the product whose id it reads on each line; prints the promotions' values and the queries.
PRICING_PROCESS = """
import sys
import django

django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pricing import selectors

for line in sys.stdin:
    with CaptureQueriesContext(connection) as queries:
        catalog = selectors.pricing_catalog(product_ids=[int(line)], at=timezone.now())
    values = ",".join(format(p.value.normalize(), "f") for p in catalog.promotions)
    print(values, len(queries), flush=True)
"""


def _price_there(process, product) -> tuple[str, int]:
    process.stdin.write(f"{product.pk}\n")
    process.stdin.flush()
    values, queries = process.stdout.readline().split()
    return values, int(queries)


def _connection_parameters() -> dict:
    settings = connection.settings_dict
    return {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "host": settings["HOST"],
        "port": settings["PORT"] or 5432,
        **({"password": settings["PASSWORD"]} if settings["PASSWORD"] else {}),
    }


def _facts(catalog) -> tuple:
    """What a catalog says, comparable."""
    return (
        catalog.products,
        catalog.list_prices,
        catalog.promotions,
        catalog.prices_include_tax,
        catalog.margin_floor,
        catalog.shipping_tax_rate,
        catalog.currency,
    )


def _fresh(product):
    cache.clear()
    return catalog(product)
