"""The customer page's orders card: loaded from the orders app by htmx, the customer's orders newest
first with their state and total, a page at a time ("More orders")."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from backoffice import roles
from orders.services import lifecycle
from orders.services.placement import order_place
from tests.crm.factories import CustomerFactory
from tests.orders.conftest import shop  # noqa: F401 (the orders tests' small shop)
from tests.orders.factories import order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ann(shop):  # noqa: F811
    return CustomerFactory(name="Ann Lee", email="ann@example.com")


def place_for(customer, *lines, **fields):
    return order_place(data=order(*(lines or (("MUG", 1),)), customer_id=customer.pk, **fields))


def card_url(customer):
    return reverse("orders:customer-orders", args=[customer.pk])


def numbers(html):
    return re.findall(r">(SO-\d{4}-\d{6})</a>", html)


def test_the_customer_page_loads_the_card_from_the_orders_app(client_as, ann):
    page = client_as(roles.CLERK).get(reverse("crm:customer-detail", args=[ann.pk])).content.decode()

    section = page.split('id="customer-orders"')[1].split("</section>")[0]
    assert f'hx-get="{card_url(ann)}"' in section and 'hx-trigger="load"' in section
    # Without htmx the link goes to the order list, filtered to the customer.
    assert f'href="{reverse("orders:order-list")}?customer={ann.pk}"' in section


def test_who_may_not_see_orders_gets_no_card(client_as, ann):
    buyer = client_as(roles.BUYER)  # may look at customers, not at orders

    page = buyer.get(reverse("crm:customer-detail", args=[ann.pk])).content.decode()

    assert "customer-orders" not in page
    assert buyer.get(card_url(ann), **HTMX).status_code == 403


def test_the_card_lists_the_customers_orders_newest_first_with_state_and_total(client_as, ann):
    first = place_for(ann, ("MUG", 2))
    second = place_for(ann, ("PLATE", 1), payment_method="prepaid")
    cancelled = place_for(ann)
    lifecycle.order_cancel(order_id=cancelled.pk, reason="duplicate")
    someone_else = order_place(data=order(("MUG", 1), customer_name="Bob Stone"))

    response = client_as(roles.CLERK).get(card_url(ann), **HTMX)

    card = response.content.decode()
    assert card.lstrip().startswith('<div class="card-head">')
    assert numbers(card) == [cancelled.number, second.number, first.number]
    assert someone_else.number not in card
    row = card.split(f">{second.number}<")[1].split("</tr>")[0]
    assert "On hold" in row and "Payment pending" in row and "Unpaid" in row and "24.95 GBP" in row
    assert second.placed_at.strftime("%-d %b %Y") in row
    assert "Cancelled" in card.split(f">{cancelled.number}<")[1].split("</tr>")[0]
    assert first.total_amount == D("28.95") and "28.95 GBP" in card
    assert "More orders" not in card
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_more_orders_follow_a_page_at_a_time(client_as, ann):
    placed = [place_for(ann) for _ in range(12)]
    client = client_as(roles.CLERK)

    card = client.get(card_url(ann), **HTMX).content.decode()

    assert numbers(card) == [p.number for p in reversed(placed[2:])]
    more = card.split('<tr class="more">')[1]
    next_url = f"{card_url(ann)}?before={placed[2].pk}"
    assert f'hx-get="{next_url}"' in more and 'hx-target="closest tr"' in more and 'hx-swap="outerHTML"' in more
    assert f'href="{reverse("orders:order-list")}?customer={ann.pk}&amp;before={placed[2].pk}"' in more

    rows = client.get(next_url, **HTMX).content.decode()

    assert rows.lstrip().startswith("<tr>")
    assert numbers(rows) == [placed[1].number, placed[0].number]
    assert "More orders" not in rows


def test_a_customer_without_orders(client_as, ann):
    card = client_as(roles.CLERK).get(card_url(ann), **HTMX).content.decode()

    assert "No orders yet." in card
    assert f'href="{reverse("orders:order-create")}?customer={ann.pk}"' in card


def test_opened_without_htmx_the_card_is_a_page(client_as, ann):
    placed = place_for(ann)

    page = client_as(roles.CLERK).get(card_url(ann)).content.decode()

    assert page.startswith("<!doctype html>") and placed.number in page
