"""What placing an order costs in statements, and the shortcuts behind that staying correct: stock
read without locks and checked again by the reservation, pricing data from the per-process cache."""

from decimal import Decimal as D

import pytest

from inventory import services as inventory_services
from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine
from orders.services import placement
from orders.services.placement import order_place
from orders.states import OrderStatus
from tests.inventory.factories import ProductFactory
from tests.orders.factories import order
from tests.pricing.factories import PriceListItemFactory, PromotionFactory

pytestmark = pytest.mark.django_db


def reserved(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse).reserved


def test_a_three_line_order_takes_at_most_15_statements(shop, django_assert_max_num_queries):
    cup = ProductFactory(sku="CUP", list_price=D("6.00"), cost_price=D("2.00"))
    inventory_services.stock_receive(warehouse_id=shop["leeds"].pk, lines=[StockLine(cup.pk, 10)])
    PromotionFactory(kind="line_percent", value=D("10")).products.add(shop["mug"])
    PriceListItemFactory(product=shop["plate"], unit_price=D("18.00"))
    # Any earlier order (in this process) has loaded the pricing policy, tax rates and promotions.
    order_place(data=order(("MUG", 1)))

    # Statements, savepoints and the transaction's own begin and commit together.
    with django_assert_max_num_queries(15):
        placed = order_place(data=order(("MUG", 2), ("PLATE", 1), ("CUP", 3)))

    assert placed.status == OrderStatus.READY
    assert [(line.sku, line.unit_price, line.discount_amount) for line in placed.lines.all()] == [
        ("MUG", D("12.0000"), D("2.40")),
        ("PLATE", D("18.0000"), D("0.00")),
        ("CUP", D("6.0000"), D("0.00")),
    ]
    assert placed.shipments.get().status == "ready"
    assert (reserved(shop["mug"], shop["leeds"]), reserved(cup, shop["leeds"])) == (3, 3)
    assert list(placed.events.values_list("kind", flat=True)) == ["placed", "status"]


def test_stock_taken_after_the_order_read_it_is_allocated_again_from_locked_levels(shop, monkeypatch):
    validate = placement._validate

    def validate_then_another_order_reserves(data):
        plan = validate(data)
        # Another order takes 8 of Leeds' 10 mugs after this one read the stock without locks.
        inventory_services.stock_reserve(warehouse_id=shop["leeds"].pk, lines=[StockLine(shop["mug"].pk, 8)])
        return plan

    monkeypatch.setattr(placement, "_validate", validate_then_another_order_reserves)

    placed = order_place(data=order(("MUG", 3)))

    # Leeds, ranked first, had the mugs when they were read; under lock only Bristol has 3.
    assert placed.shipments.get().warehouse == shop["bristol"]
    assert (reserved(shop["mug"], shop["leeds"]), reserved(shop["mug"], shop["bristol"])) == (8, 3)
    # The reservation that failed left nothing behind.
    assert list(
        StockMovement.objects.filter(source_type="orders.order", source_id=str(placed.pk)).values_list(
            "warehouse__code", "quantity"
        )
    ) == [("BRS", 3)]
