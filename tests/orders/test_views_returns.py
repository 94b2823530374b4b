"""Shipping from the order page, and a return from authorisation to refund through the pages."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from backoffice import roles
from inventory.models import BinStock
from orders.models import ReturnAuthorisation
from orders.services.placement import order_place
from orders.services.shipping import shipment_deliver, shipment_ship
from orders.states import OrderStatus, PaymentStatus, ReturnStatus
from tests.inventory.factories import BinFactory
from tests.orders.factories import order

pytestmark = pytest.mark.django_db


def delivered(*lines, **fields):
    placed = order_place(data=order(*lines, **fields))
    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD")
    shipment_deliver(shipment_id=shipment.pk)
    placed.refresh_from_db()
    return placed


def test_warehouse_staff_ship_a_shipment_with_its_tracking_number(client_as, shop):
    placed = order_place(data=order(("MUG", 2)))
    client = client_as(roles.WAREHOUSE)
    url = reverse("orders:shipment-ship", args=[placed.number, 1])

    refused = client.post(url, {"carrier": "", "tracking_number": ""}, follow=True)
    assert "Say which carrier takes the shipment." in refused.content.decode()
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY

    page = client.post(url, {"carrier": "DPD", "tracking_number": "15501234"}, follow=True).content.decode()

    placed.refresh_from_db()
    assert placed.status == OrderStatus.SHIPPED
    assert "Shipment 1 shipped by DPD, tracking 15501234" in page
    client.post(reverse("orders:shipment-deliver", args=[placed.number, 1]))
    placed.refresh_from_db()
    assert (placed.status, placed.payment_status) == (OrderStatus.DELIVERED, PaymentStatus.COLLECTED)


def test_buyers_may_not_ship(client_as, shop):
    placed = order_place(data=order(("MUG", 2)))
    response = client_as(roles.BUYER).post(reverse("orders:shipment-ship", args=[placed.number, 1]), {"carrier": "DPD"})
    assert response.status_code == 403
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY


def test_a_return_from_the_clerk_through_the_warehouse_to_the_accountant(client_as, shop):
    shelf = BinFactory(warehouse=shop["leeds"], code="R-01")
    placed = delivered(("MUG", 3), payment_method="prepaid", paid_reference="card 1")
    row = placed.shipments.get().lines.get()

    clerk = client_as(roles.CLERK)
    create = reverse("orders:return-create", args=[placed.number])
    form = clerk.get(create).content.decode()
    assert "MUG" in form and f'name="quantity_{row.pk}"' in form

    # Too many, and no reason: refused with both errors; nothing is created.
    refused = clerk.post(create, {f"quantity_{row.pk}": "4", f"reason_{row.pk}": ""})
    assert refused.status_code == 400
    assert "Ensure this value is less than or equal to 3." in refused.content.decode()
    refused = clerk.post(create, {f"quantity_{row.pk}": "2", f"reason_{row.pk}": ""})
    assert "Choose why the units come back." in refused.content.decode()
    assert not ReturnAuthorisation.objects.exists()

    response = clerk.post(create, {f"quantity_{row.pk}": "2", f"reason_{row.pk}": "defective", "note": "chipped"})
    rma = ReturnAuthorisation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orders:return-detail", args=[rma.number])

    warehouse = client_as(roles.WAREHOUSE)
    line = rma.lines.get()
    page = warehouse.get(reverse("orders:return-detail", args=[rma.number])).content.decode()
    assert "Receive the goods" in page and "Pay the customer back" not in page
    warehouse.post(
        reverse("orders:return-receive", args=[rma.number]),
        {f"received_{line.pk}": "2", f"condition_{line.pk}": "sellable", f"bin_{line.pk}": str(shelf.pk)},
    )
    assert BinStock.objects.get(bin=shelf, product=shop["mug"]).on_hand == 2
    # Warehouse staff do not refund.
    assert warehouse.post(reverse("orders:return-settle", args=[rma.number]), {}).status_code == 403

    accountant = client_as(roles.ACCOUNTANT)
    page = accountant.get(reverse("orders:return-detail", args=[rma.number])).content.decode()
    assert "Pay the customer back" in page and 'value="24.00"' in page
    refused = accountant.post(
        reverse("orders:return-settle", args=[rma.number]), {"settlement": "refund", "amount": "24.00"}
    )
    assert "Enter the refund" in refused.content.decode()
    accountant.post(
        reverse("orders:return-settle", args=[rma.number]),
        {"settlement": "refund", "amount": "24.00", "reference": "PSP re_1"},
    )

    rma.refresh_from_db()
    placed.refresh_from_db()
    assert (rma.status, rma.settled_amount) == (ReturnStatus.REFUNDED, D("24.00"))
    assert (placed.status, placed.payment_status) == (
        OrderStatus.PARTIALLY_RETURNED,
        PaymentStatus.PARTIALLY_REFUNDED,
    )


def test_the_order_page_offers_shipping_while_ready_and_returns_once_shipped(client_as, shop):
    placed = order_place(data=order(("MUG", 1)))
    url = reverse("orders:order-detail", args=[placed.number])
    # Accountants see the order but do not ship (the test client holds one sign-in at a time).
    assert "Mark shipped" not in client_as(roles.ACCOUNTANT).get(url).content.decode()

    clerk = client_as(roles.CLERK)
    page = clerk.get(url).content.decode()
    assert "Mark shipped" in page and "Return goods" not in page

    shipment_ship(shipment_id=placed.shipments.get().pk, carrier="DPD", tracking_number="T-9")
    page = clerk.get(url).content.decode()
    assert "Mark shipped" not in page and "Mark delivered" in page
    assert "Shipped by DPD" in page and "T-9" in page
    assert reverse("orders:return-create", args=[placed.number]) in page
