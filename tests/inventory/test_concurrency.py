"""Concurrent reservations on real PostgreSQL: each thread has its own connection and transaction."""

import random
from decimal import Decimal

import pytest

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine
from tests.concurrency import run_together
from tests.inventory.factories import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def test_twenty_clerks_never_reserve_more_than_the_last_five_units():
    warehouse = WarehouseFactory()
    for _ in range(25):
        product = ProductFactory()
        services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 5)])

        results = run_together(
            lambda i, product=product: services.stock_reserve(
                warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 1)], source_id=str(i)
            )
        )

        refused = [r for r in results if isinstance(r, InsufficientStock)]
        reserved = [r for r in results if isinstance(r, list)]
        assert (len(reserved), len(refused)) == (5, 15), results
        assert all(r.shortages[0].requested == 1 and r.shortages[0].available == 0 for r in refused)
        level = StockLevel.objects.get(product=product, warehouse=warehouse)
        assert (level.on_hand, level.reserved, level.available) == (5, 5, 0)
        assert StockMovement.objects.filter(product=product, kind="reservation").count() == 5


def test_mixed_quantities_and_line_orders_never_oversell_nor_deadlock():
    warehouse = WarehouseFactory()
    rng = random.Random(7)
    for _ in range(10):
        products = [ProductFactory() for _ in range(3)]
        for product in products:
            services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 9, None, Decimal("1.00"))])
        orders = []
        for _ in range(THREADS):
            lines = [StockLine(p.pk, rng.randint(1, 3)) for p in rng.sample(products, rng.randint(1, 3))]
            orders.append(lines)

        results = run_together(
            lambda i, orders=orders: services.stock_reserve(warehouse_id=warehouse.pk, lines=orders[i])
        )

        assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, InsufficientStock)], results
        wanted = {p.pk: 0 for p in products}
        for lines, result in zip(orders, results, strict=True):
            if isinstance(result, list):
                for line in lines:
                    wanted[line.product_id] += line.quantity
        for product in products:
            level = StockLevel.objects.get(product=product, warehouse=warehouse)
            assert level.reserved == wanted[product.pk] <= level.on_hand == 9


def test_a_replayed_reservation_sent_twice_at_once_reserves_once():
    warehouse = WarehouseFactory()
    product = ProductFactory()
    services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 10)])

    results = run_together(
        lambda i: services.stock_reserve(
            warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3)], idempotency_key="api-order-77"
        ),
        count=8,
    )

    assert all(isinstance(r, list) for r in results), results
    assert len({r[0].pk for r in results}) == 1
    assert StockLevel.objects.get(product=product).reserved == 3
