"""The Django admin of orders: read-only for managers, with hold and release calling the services."""

import pytest

from backoffice import roles
from orders.models import Order, OrderEvent
from orders.services.placement import order_place
from orders.states import HoldReason, OrderStatus
from tests.orders.factories import order

pytestmark = pytest.mark.django_db

LIST = "/admin/orders/order/"


@pytest.fixture
def manager(client, staff_user):
    client.force_login(staff_user(roles.MANAGER, is_staff=True))
    return client


def place(**fields):
    return order_place(data=order(("MUG", 1), **fields))


def test_managers_read_orders_but_change_nothing(manager, shop):
    placed = place()

    listing = manager.get(LIST).content.decode()
    page = manager.get(f"{LIST}{placed.pk}/change/").content.decode()

    assert placed.number in listing and "Ready to fulfil" in listing
    assert 'name="status"' not in page and 'name="_save"' not in page
    assert "Order placed by the system via Phone" in page  # the timeline inline
    assert manager.get(f"{LIST}add/").status_code == 403
    assert manager.post(f"{LIST}{placed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=placed.pk).exists()


def test_search_finds_exact_numbers_channel_ids_and_addresses(manager, shop):
    placed = place(channel="marketplace", external_id="AMZ-9", email="cleo@example.test")
    other = place()

    for term in (placed.number.lower(), "AMZ-9", "CLEO@example.test"):
        content = manager.get(LIST, {"q": term}).content.decode()
        assert placed.number in content and other.number not in content


def test_hold_and_release_actions_call_the_services(manager, shop):
    ready, held = place(), place(payment_method="prepaid")

    manager.post(LIST, {"action": "hold", "_selected_action": [ready.pk]})
    ready.refresh_from_db()
    assert (ready.status, ready.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.MANUAL)
    assert OrderEvent.objects.filter(order=ready, message="On hold: Manual hold (from the admin)").exists()

    response = manager.post(LIST, {"action": "release", "_selected_action": [ready.pk, held.pk]}, follow=True)
    ready.refresh_from_db()
    held.refresh_from_db()
    assert ready.status == OrderStatus.READY
    assert held.status == OrderStatus.ON_HOLD  # unpaid: released on its page, with a reason
    content = response.content.decode()
    assert "1 order(s) released." in content and f"{held.number}: The order is not paid yet" in content


def test_clerks_have_no_admin(client, staff_user, shop):
    client.force_login(staff_user(roles.CLERK))
    assert client.get(LIST).status_code == 302
