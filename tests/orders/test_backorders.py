from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine
from orders.models import Order, Shipment
from orders.services.backorders import backorders_fill
from orders.services.lifecycle import order_cancel
from orders.services.placement import order_place
from tests.orders.factories import order
from tests.orders.shipstation_support import account, export, field, orders_of

pytestmark = pytest.mark.django_db


def test_arrived_stock_goes_to_the_oldest_backorders_first(shop):
    first = order_place(data=order(("MUG", 16, True)))
    second = order_place(data=order(("MUG", 3, True)))
    assert first.lines.get().backordered_quantity == 2  # 14 in stock
    assert second.lines.get().backordered_quantity == 3
    leeds = shop["leeds"]

    inventory_services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(shop["mug"].pk, 4)])
    assert backorders_fill() == 4

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.lines.get().backordered_quantity == 0
    assert second.lines.get().backordered_quantity == 1
    assert StockLevel.objects.get(product=shop["mug"], warehouse=leeds).available == 0
    # Nothing was in stock for the second order when it was placed: its one reservation is this one.
    assert StockMovement.objects.filter(kind="reservation", source_id=str(second.pk)).count() == 1
    assert second.events.last().message.startswith("Backorder reserved: MUG x2")
    assert backorders_fill() == 0


def test_cancelled_orders_wait_for_nothing(shop):
    placed = order_place(data=order(("MUG", 20, True)))
    order_cancel(order_id=placed.pk, reason="changed mind")
    inventory_services.stock_receive(warehouse_id=shop["leeds"].pk, lines=[StockLine(shop["mug"].pk, 6)])
    assert backorders_fill() == 0
    assert sum(StockLevel.objects.values_list("reserved", flat=True)) == 0


def test_the_beat_schedule_runs_it(db):
    from backoffice.celery import app
    from orders.tasks import backorders_fill_task

    assert app.conf.beat_schedule["backorders-fill"]["task"] == backorders_fill_task.name
    assert backorders_fill_task.apply().get() == 0


def test_a_filled_backorder_reaches_shipstations_next_export_as_ready_to_ship(shop, client):
    placed = order_place(data=order(("MUG", 16, True)))
    # Placed (and exported to ShipStation, waiting for stock) ten minutes ago; the next poll's window
    # starts five minutes ago.
    earlier = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk=placed.pk).update(updated_at=earlier)
    Shipment.objects.filter(order=placed).update(updated_at=earlier)
    account()
    start = (timezone.now() - timedelta(minutes=5)).strftime("%m/%d/%Y %H:%M")
    assert orders_of(export(client, start=start))[1] == []

    inventory_services.stock_receive(warehouse_id=shop["leeds"].pk, lines=[StockLine(shop["mug"].pk, 2)])
    backorders_fill()
    _root, orders = orders_of(export(client, start=start))

    # (Two shipments: what Leeds held, and the rest from Bristol; the wait was for Leeds.)
    assert [field(o, "OrderNumber") for o in orders] == [f"{placed.number}-1"]
    assert field(orders[0], "OrderStatus") == "paid"
