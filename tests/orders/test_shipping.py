"""Shipping and delivery: stock leaves through the ledger, the order and its payment follow."""

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from inventory.models import BinStock, StockLevel, StockMovement
from inventory.services import StockLine, stock_receive
from orders.exceptions import OrderError
from orders.services.lifecycle import order_payment_record
from orders.services.placement import ShipmentInput, order_place
from orders.services.shipping import shipment_deliver, shipment_ship
from orders.states import OrderStatus, PaymentStatus, ShipmentStatus
from tests.inventory.factories import BinFactory
from tests.orders.factories import HOME, OFFICE, order

pytestmark = pytest.mark.django_db


def level(product, warehouse):
    return StockLevel.objects.values_list("on_hand", "reserved").get(product=product, warehouse=warehouse)


def test_shipping_takes_the_units_from_their_bins_in_walk_order_and_releases_the_reservation(shop):
    leeds, mug = shop["leeds"], shop["mug"]
    near, far = (
        BinFactory(warehouse=leeds, code="A-01", pick_sequence=1),
        BinFactory(warehouse=leeds, code="Z-99", pick_sequence=9),
    )
    stock_receive(warehouse_id=leeds.pk, lines=[StockLine(mug.pk, 2, near.pk), StockLine(mug.pk, 5, far.pk)])
    placed = order_place(data=order(("MUG", 4)))  # COD: ready at once
    assert level(mug, leeds) == (17, 4)

    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD", tracking_number="15501234")

    assert level(mug, leeds) == (13, 0)
    assert dict(BinStock.objects.filter(product=mug).values_list("bin__code", "on_hand")) == {"A-01": 0, "Z-99": 3}
    shipped = StockMovement.objects.filter(product=mug, kind="shipment").values_list("bin__code", "quantity")
    assert sorted(shipped) == [("A-01", -2), ("Z-99", -2)]
    shipment.refresh_from_db()
    placed.refresh_from_db()
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == ("shipped", "DPD", "15501234")
    assert placed.status == OrderStatus.SHIPPED
    assert "Shipment 1 shipped by DPD, tracking 15501234" in placed.events.values_list("message", flat=True)


def test_a_split_order_is_partially_shipped_until_its_last_shipment_leaves(shop):
    placed = order_place(
        data=order(
            ("MUG", 1),
            ("PLATE", 1),
            shipments=(ShipmentInput(ship_to=HOME, lines=((0, 1),)), ShipmentInput(ship_to=OFFICE, lines=((1, 1),))),
        )
    )
    first, second = placed.shipments.order_by("position")

    shipment_ship(shipment_id=first.pk, carrier="DPD")
    placed.refresh_from_db()
    assert placed.status == OrderStatus.PARTIALLY_SHIPPED

    shipment_ship(shipment_id=second.pk, carrier="Royal Mail")
    placed.refresh_from_db()
    assert placed.status == OrderStatus.SHIPPED


def test_an_order_on_hold_or_a_shipment_waiting_for_stock_does_not_ship(shop):
    held = order_place(data=order(("MUG", 1), payment_method="prepaid"))
    with pytest.raises(OrderError, match="on hold"):
        shipment_ship(shipment_id=held.shipments.get().pk, carrier="DPD")

    order_place(data=order(("PLATE", 14)))  # every plate in every warehouse
    waiting = order_place(data=order(("PLATE", 2, True)))
    assert waiting.status == OrderStatus.READY
    with pytest.raises(OrderError, match=r"waits for stock: PLATE \(2 of 2\)"):
        shipment_ship(shipment_id=waiting.shipments.get().pk, carrier="DPD")

    assert StockLevel.objects.filter(product=shop["plate"]).aggregate(total=Sum("on_hand"))["total"] == 14
    assert not StockMovement.objects.filter(kind="shipment").exists()


def test_delivery_of_a_cash_on_delivery_order_collects_its_total_and_the_remittance_completes_it(shop):
    placed = order_place(data=order(("MUG", 2)))  # 24.00 + 4.95 shipping, tax included
    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD", tracking_number="T1")

    shipment_deliver(shipment_id=shipment.pk)
    shipment_deliver(shipment_id=shipment.pk)  # the carrier reports it twice

    placed.refresh_from_db()
    assert placed.status == OrderStatus.DELIVERED
    assert placed.payment_status == PaymentStatus.COLLECTED
    assert list(placed.payments.values_list("kind", "amount")) == [("cod_collected", D("28.95"))]

    order_payment_record(order_id=placed.pk, amount=D("28.95"), reference="DPD remittance 0412")
    placed.refresh_from_db()
    assert (placed.status, placed.payment_status) == (OrderStatus.COMPLETED, PaymentStatus.PAID)


def test_cash_on_delivery_collected_per_shipment_adds_up_to_the_total(shop):
    placed = order_place(
        data=order(
            ("MUG", 1),
            ("PLATE", 2),
            shipments=(
                ShipmentInput(ship_to=HOME, lines=((0, 1),), shipping_price=D("3.33")),
                ShipmentInput(ship_to=OFFICE, lines=((1, 2),), shipping_price=D("4.44")),
            ),
        )
    )
    for shipment in placed.shipments.order_by("position"):
        shipment_ship(shipment_id=shipment.pk, carrier="DPD")
    first, second = placed.shipments.order_by("position")
    shipment_deliver(shipment_id=first.pk)
    placed.refresh_from_db()
    assert placed.status == OrderStatus.SHIPPED
    assert placed.payments.get().amount == D("15.33")  # 12.00 + 3.33

    shipment_deliver(shipment_id=second.pk)
    placed.refresh_from_db()
    assert placed.status == OrderStatus.DELIVERED
    assert placed.payments.aggregate(total=Sum("amount"))["total"] == placed.total_amount


def test_a_pick_up_is_delivered_when_the_customer_collects_it(shop):
    placed = order_place(
        data=order(
            ("MUG", 1),
            shipments=(ShipmentInput(pickup_warehouse="BRS"),),
            payment_method="prepaid",
            paid_reference="card 77",
        )
    )
    shipment = placed.shipments.get()
    assert shipment.status == ShipmentStatus.READY

    shipment_ship(shipment_id=shipment.pk)

    shipment.refresh_from_db()
    placed.refresh_from_db()
    assert (shipment.status, shipment.carrier) == (ShipmentStatus.DELIVERED, "Store pick-up")
    assert placed.status == OrderStatus.COMPLETED  # delivered and paid
    assert level(shop["mug"], shop["bristol"]) == (3, 0)
