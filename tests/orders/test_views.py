"""The order list, an order's page and its action buttons: who may see and do what, what is shown."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import roles
from orders.models import Order, OrderEvent, Payment
from orders.services import lifecycle
from orders.services.placement import order_place
from orders.states import HoldReason, OrderStatus, PaymentStatus
from pricing.models import CouponRedemption
from tests.orders.factories import order
from tests.pricing.factories import CouponFactory

pytestmark = pytest.mark.django_db


def place(*lines, **fields):
    return order_place(data=order(*(lines or (("MUG", 1),)), **fields))


def detail_url(placed):
    return reverse("orders:order-detail", args=[placed.number])


# --- who may open what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.CLERK, 200),
        (roles.WAREHOUSE, 200),
        (roles.ACCOUNTANT, 200),
        (roles.MANAGER, 200),
        (roles.BUYER, 403),
        (None, 403),
    ],
)
def test_the_list_and_an_order_need_the_orders_section(client_as, shop, role, status):
    placed = place()
    client = client_as(role)

    assert client.get(reverse("orders:order-list")).status_code == status
    assert client.get(detail_url(placed)).status_code == status


def test_signing_in_comes_first(client, shop):
    response = client.get(reverse("orders:order-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "status"), [(roles.CLERK, 200), (roles.MANAGER, 200), (roles.WAREHOUSE, 403), (roles.ACCOUNTANT, 403)]
)
def test_only_those_who_take_orders_open_the_entry_screen(client_as, shop, role, status):
    assert client_as(role).get(reverse("orders:order-create")).status_code == status


def test_an_unknown_order_is_not_found(client_as, shop):
    assert client_as(roles.CLERK).get(reverse("orders:order-detail", args=["SO-1999-000001"])).status_code == 404


# --- the list -------------------------------------------------------------------------------------


def test_the_list_shows_orders_newest_first_with_their_state(client_as, shop):
    ready = place(customer_name="Ann Lee")
    held = place(("PLATE", 1), payment_method="prepaid", customer_name="Bob Stone", email="bob@ex.test")

    page = client_as(roles.CLERK).get(reverse("orders:order-list")).content.decode()

    assert page.index(held.number) < page.index(ready.number)
    row = page.split(f">{held.number}<")[1].split("</tr>")[0]
    assert "On hold" in row and "Payment pending" in row and "Unpaid" in row and "LDS" in row
    assert "bob@ex.test" in row


def test_filters_and_search_narrow_the_list(client_as, shop):
    ready = place(customer_name="Ann Lee")
    held = place(payment_method="prepaid", customer_name="Bob Stone", email="bob@ex.test")
    client = client_as(roles.CLERK)

    def listed(**params):
        content = client.get(reverse("orders:order-list"), params).content.decode()
        return [number for number in (ready.number, held.number) if number in content]

    assert listed(status="on_hold") == [held.number]
    assert listed(hold_reason="payment_pending") == [held.number]
    assert listed(payment_status="unpaid", channel="phone") == [ready.number, held.number]
    assert listed(warehouse=str(shop["bristol"].pk)) == []
    assert listed(q="ann") == [ready.number]
    assert listed(q="bob@ex") == [held.number]
    assert listed(q=held.number) == [held.number]
    assert listed(status="bogus") == [ready.number, held.number]  # a filter that does not parse is left out


def test_the_list_pages_by_key_and_htmx_gets_the_results_only(client_as, shop, settings):
    placed = [place() for _ in range(3)]
    client = client_as(roles.CLERK)

    first = client.get(reverse("orders:order-list"), {"before": placed[2].pk})
    htmx = client.get(reverse("orders:order-list"), {"q": "ann"}, HTTP_HX_REQUEST="true")

    content = first.content.decode()
    assert placed[2].number not in content
    assert placed[1].number in content and placed[0].number in content
    assert htmx.content.decode().lstrip().startswith('<section id="results"')
    assert "Vary" in htmx and "HX-Request" in htmx["Vary"]


def test_the_list_page_costs_the_same_queries_whatever_its_size(client_as, shop, django_assert_num_queries):
    client = client_as(roles.CLERK)
    place()
    with CaptureQueriesContext(connection) as one_order:
        client.get(reverse("orders:order-list"))
        client.get(reverse("orders:order-list"), {"q": "ann"})
    for _ in range(8):
        place(("MUG", 1), ("PLATE", 1))

    with django_assert_num_queries(len(one_order)):
        plain = client.get(reverse("orders:order-list"))
        searched = client.get(reverse("orders:order-list"), {"q": "ann"})

    assert plain.content.decode().count('href="/orders/SO-') == 9
    assert searched.content.decode().count('href="/orders/SO-') == 9


# --- an order's page ------------------------------------------------------------------------------


def test_an_orders_page_shows_lines_explanations_shipments_payments_and_timeline(client_as, shop):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"), promotion__name="Ten")
    placed = place(("MUG", 2), ("PLATE", 12), coupon_codes=("tenoff",), payment_method="prepaid")
    placed.refresh_from_db()
    lifecycle.order_payment_record(order_id=placed.pk, amount=D("5.00"), reference="BANK-9")

    page = client_as(roles.CLERK).get(detail_url(placed)).content.decode()

    assert placed.number in page and "On hold" in page
    assert "MUG" in page and "PLATE" in page and "2 backordered" not in page
    assert "Ten: 10.00 off the order" in page  # the engine's explanation
    assert "Share of the order discounts" in page
    assert "From LDS" in page and "From BRS" in page  # 12 plates: 10 from Leeds, 2 from Bristol
    assert "BANK-9" in page and "5.00" in page
    assert "Order placed by the system via Phone" in page
    # The timeline's old and new values.
    assert '<span class="old">Placed</span> → <span class="new">On hold</span>' in page
    assert f"{placed.total_amount - D('5.00'):.2f} GBP due" in page


def test_the_page_offers_what_the_state_allows(client_as, shop):
    ready = place()
    cancelled = place()
    lifecycle.order_cancel(order_id=cancelled.pk, reason="duplicate")
    clerk = client_as(roles.CLERK)

    ready_page = clerk.get(detail_url(ready)).content.decode()
    cancelled_page = clerk.get(detail_url(cancelled)).content.decode()

    assert "Put on hold" in ready_page and "Cancel order" in ready_page and "Record payment" in ready_page
    assert "Release hold" not in ready_page
    assert "Actions" not in cancelled_page and "Put on hold" not in cancelled_page


def test_the_warehouse_sees_no_actions(client_as, shop):
    page = client_as(roles.WAREHOUSE).get(detail_url(place())).content.decode()
    assert "Put on hold" not in page and "Record payment" not in page and "Cancel order" not in page


# --- the actions ----------------------------------------------------------------------------------


def test_hold_and_release(client_as, shop, staff_user):
    placed = place()
    client = client_as(roles.CLERK)

    held = client.post(reverse("orders:order-hold", args=[placed.number]), {"reason": "address_check", "note": "?"})
    assert held.status_code == 302 and held["Location"] == detail_url(placed)
    placed.refresh_from_db()
    assert (placed.status, placed.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.ADDRESS_CHECK)
    assert "Release hold" in client.get(detail_url(placed)).content.decode()

    client.post(reverse("orders:order-release", args=[placed.number]), {"note": ""})
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY
    event = OrderEvent.objects.filter(order=placed).last()
    assert (event.old_value, event.new_value, event.actor.groups.get().name) == ("on_hold", "ready", roles.CLERK)


def test_a_payment_hold_is_released_with_a_reason_only(client_as, shop):
    placed = place(payment_method="prepaid")
    client = client_as(roles.CLERK)

    refused = client.post(reverse("orders:order-release", args=[placed.number]), {"note": ""}, follow=True)
    placed.refresh_from_db()
    assert placed.status == OrderStatus.ON_HOLD
    assert "record the payment, or say why" in refused.content.decode()

    client.post(reverse("orders:order-release", args=[placed.number]), {"note": "trusted customer"})
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY


def test_recording_the_payment_releases_a_payment_hold(client_as, shop):
    placed = place(payment_method="prepaid")
    placed.refresh_from_db()
    client = client_as(roles.ACCOUNTANT)

    response = client.post(
        reverse("orders:order-payment", args=[placed.number]),
        {"amount": str(placed.total_amount), "reference": "CARD-42", "kind": "capture"},
        follow=True,
    )

    placed.refresh_from_db()
    assert (placed.status, placed.payment_status) == (OrderStatus.READY, PaymentStatus.PAID)
    payment = Payment.objects.get(order=placed)
    assert (payment.amount, payment.reference) == (placed.total_amount, "CARD-42")
    assert "Payment recorded." in response.content.decode()


def test_a_refused_action_form_shows_its_errors_and_changes_nothing(client_as, shop):
    placed = place()
    client = client_as(roles.CLERK)

    payment = client.post(reverse("orders:order-payment", args=[placed.number]), {"amount": "-1", "reference": ""})
    cancel = client.post(reverse("orders:order-cancel", args=[placed.number]), {"reason": ""})

    assert (
        payment.status_code == 400 and "Ensure this value is greater than or equal to 0.01" in payment.content.decode()
    )
    assert cancel.status_code == 400 and "This field is required." in cancel.content.decode()
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY and not Payment.objects.exists()


def test_cancel_gives_back_stock_and_coupon(client_as, shop):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    placed = place(("MUG", 2), coupon_codes=("TENOFF",))
    client = client_as(roles.CLERK)

    response = client.post(reverse("orders:order-cancel", args=[placed.number]), {"reason": "customer called"})

    placed.refresh_from_db()
    assert response.status_code == 302
    assert placed.status == OrderStatus.CANCELLED
    assert CouponRedemption.objects.get().released_at is not None
    assert shop["mug"].stock_levels.get(warehouse=shop["leeds"]).reserved == 0
    assert "Cancelled: customer called" in client.get(detail_url(placed)).content.decode()


def test_an_action_the_state_no_longer_allows_is_refused_with_a_message(client_as, shop):
    placed = place()
    lifecycle.order_cancel(order_id=placed.pk, reason="duplicate")
    client = client_as(roles.CLERK)

    response = client.post(
        reverse("orders:order-hold", args=[placed.number]), {"reason": "manual", "note": ""}, follow=True
    )

    assert "An order that is cancelled cannot become on hold." in response.content.decode()
    assert Order.objects.get(pk=placed.pk).status == OrderStatus.CANCELLED


@pytest.mark.parametrize(
    ("role", "url_name", "data"),
    [
        (roles.WAREHOUSE, "orders:order-hold", {"reason": "manual"}),
        (roles.ACCOUNTANT, "orders:order-cancel", {"reason": "no"}),
        (roles.WAREHOUSE, "orders:order-payment", {"amount": "1", "reference": "x", "kind": "capture"}),
    ],
)
def test_actions_need_their_permission(client_as, shop, role, url_name, data):
    placed = place()
    response = client_as(role).post(reverse(url_name, args=[placed.number]), data)
    assert response.status_code == 403
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY and not Payment.objects.exists()


def test_actions_take_posts_only(client_as, shop):
    placed = place()
    assert client_as(roles.CLERK).get(reverse("orders:order-cancel", args=[placed.number])).status_code == 405
