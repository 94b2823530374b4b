import pytest

from inventory import services
from inventory.selectors import low_stock_levels
from inventory.services import StockLine
from tests.inventory.factories import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock():
    warehouse = WarehouseFactory(code="leeds")
    low, fine, unwatched = (
        ProductFactory(sku="LOW-1"),
        ProductFactory(sku="FINE-1"),
        ProductFactory(sku="NONE-1"),
    )
    for product in (low, fine, unwatched):
        services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 10)])
    services.stock_level_set_reorder(product_id=low.pk, warehouse_id=warehouse.pk, reorder_point=8, reorder_quantity=50)
    services.stock_level_set_reorder(
        product_id=fine.pk, warehouse_id=warehouse.pk, reorder_point=8, reorder_quantity=50
    )
    return warehouse, low, fine


def test_a_level_becomes_low_when_reservations_take_available_below_the_reorder_point(stock):
    warehouse, low, _ = stock
    assert list(low_stock_levels()) == []

    services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(low.pk, 3)])  # 7 available < 8

    levels = list(low_stock_levels())
    assert [(level.product.sku, level.available, level.shortfall) for level in levels] == [("LOW-1", 7, 1)]

    services.stock_release(warehouse_id=warehouse.pk, lines=[StockLine(low.pk, 3)])
    assert list(low_stock_levels()) == []


def test_the_digest_mails_buyers_and_managers(stock, staff_user, mailoutbox):
    warehouse, low, _ = stock
    staff_user("Buyer", email="bea@shop.test")
    staff_user("Manager", email="maria@shop.test")
    staff_user("Clerk", email="chris@shop.test")
    services.stock_adjust(product_id=low.pk, warehouse_id=warehouse.pk, quantity=-5, reason="Damaged")

    assert services.low_stock_digest_send() == 1

    (mail,) = mailoutbox
    assert sorted(mail.to) == ["bea@shop.test", "maria@shop.test"]
    assert mail.subject == "Low stock: 1 item below reorder point"
    assert "LOW-1" in mail.body and "leeds: 5 available, reorder point 8, short by 3; reorder 50" in mail.body


def test_no_digest_when_nothing_is_low(stock, staff_user, mailoutbox):
    staff_user("Manager", email="maria@shop.test")
    assert services.low_stock_digest_send() == 0
    assert mailoutbox == []


def test_beat_schedules_the_digest_task_daily():
    from backoffice.celery import app
    from inventory.tasks import low_stock_digest_task

    entry = app.conf.beat_schedule["low-stock-digest"]
    assert entry["task"] == low_stock_digest_task.name == "inventory.tasks.low_stock_digest_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {0})


def test_the_digest_task_sends_the_digest(stock, staff_user, mailoutbox):
    from inventory.tasks import low_stock_digest_task

    warehouse, low, _ = stock
    staff_user("Buyer", email="bea@shop.test")
    services.stock_adjust(product_id=low.pk, warehouse_id=warehouse.pk, quantity=-5, reason="Damaged")

    assert low_stock_digest_task.apply().get() == 1
    assert len(mailoutbox) == 1
