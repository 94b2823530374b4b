"""Orders placed at the same moment by many clerks: never an oversell, never a deadlock."""

from decimal import Decimal as D

import pytest

from inventory import services as inventory_services
from inventory.exceptions import InsufficientStock
from inventory.models import StockLevel
from inventory.services import StockLine
from orders.exceptions import DuplicateOrder
from orders.models import Order
from orders.services.placement import order_place
from pricing.models import PricingPolicy
from tests.concurrency import run_together
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.factories import order

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_orders_for_the_last_five_units():
    PricingPolicy.current()
    warehouse = WarehouseFactory(code="LDS")
    lamp = ProductFactory(sku="LAMP", list_price=D("30.00"))
    inventory_services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(lamp.pk, 5)])

    results = run_together(lambda i: order_place(data=order(("LAMP", 1), customer_name=f"Customer {i}")))

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(placed), len(refused)) == (5, 15), results
    assert StockLevel.objects.get(product=lamp).reserved == 5
    assert sorted(o.number[-6:] for o in placed) == ["000001", "000002", "000003", "000004", "000005"]


def test_orders_spread_over_two_warehouses_in_both_orders_do_not_deadlock():
    PricingPolicy.current()
    leeds, bristol = WarehouseFactory(code="LDS"), WarehouseFactory(code="BRS")
    cup, saucer = ProductFactory(sku="CUP"), ProductFactory(sku="SAUCER")
    # Each warehouse has only part, so most orders must take stock from both.
    inventory_services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(cup.pk, 30), StockLine(saucer.pk, 10)])
    inventory_services.stock_receive(warehouse_id=bristol.pk, lines=[StockLine(cup.pk, 10), StockLine(saucer.pk, 30)])

    def place(i):
        lines = (("CUP", 3), ("SAUCER", 3)) if i % 2 else (("SAUCER", 3), ("CUP", 3))
        return order_place(data=order(*lines))

    results = run_together(place, count=16)

    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, InsufficientStock)]
    assert errors == []
    placed = sum(isinstance(r, Order) for r in results)
    assert placed == 13  # 40 cups and 40 saucers: 13 orders of 3
    for product in (cup, saucer):
        assert sum(StockLevel.objects.filter(product=product).values_list("reserved", flat=True)) == 3 * placed


def test_a_storefront_sending_the_same_order_five_times_at_once_gets_one_order():
    PricingPolicy.current()
    warehouse = WarehouseFactory(code="LDS")
    mug = ProductFactory(sku="MUG")
    inventory_services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(mug.pk, 50)])

    results = run_together(
        lambda i: order_place(data=order(("MUG", 2), channel="web", external_id="shopify-5001")), count=5
    )

    (placed,) = [r for r in results if isinstance(r, Order)]
    duplicates = [r for r in results if isinstance(r, DuplicateOrder)]
    assert len(duplicates) == 4 and {d.number for d in duplicates} == {placed.number}
    assert StockLevel.objects.get(product=mug).reserved == 2
