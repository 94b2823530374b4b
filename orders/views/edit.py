"""Changing a placed order: the order entry screen, filled in with the order as it is.

It works as the entry screen does (orders.views.entry): the page's one form is posted whole, to
`order_edit_quote` for the live totals (priced as order_edit will price it, the order's own
reservations and coupon uses counting as its own), to `order_edit_refresh` for the buttons and Enter,
and to `order_edit` to save through orders.services.editing.order_edit. What the service refuses is
shown beside the fields concerned and nothing changes. Only an order whose status is still editable
(orders.states.EDITABLE) is offered: any other goes back to its page with the reason.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from backoffice.htmx import page_or_partial
from inventory.exceptions import InsufficientStock
from orders import selectors
from orders.exceptions import OrderError
from orders.forms.entry_edit import OrderEdit
from orders.models import Order
from orders.services import editing
from orders.views.access import CHANGE, orders_permission
from orders.views.entry import product_choices

PAGE = "orders/order_edit.html"


@require_http_methods(["GET", "POST"])
@orders_permission(CHANGE)
@vary_on_headers("HX-Request")
def order_edit(request, number):
    """GET: the screen filled in with the order. POST: save the changes through order_edit, or show
    the screen again with what it refused."""
    order = _order(number)
    if not selectors.order_actions(order=order, user=request.user).edit:
        return _back(
            request,
            order,
            f"Order {order.number} is {order.get_status_display().lower()}: it can no longer be changed.",
        )
    if request.method != "POST":
        return _render(request, OrderEdit.for_order(order))
    entry = OrderEdit(order, request.POST)
    if entry.is_valid():
        try:
            edited = editing.order_edit(order_id=order.pk, data=entry.order_input(), actor=request.user)
        except (OrderError, InsufficientStock) as error:
            entry.add_place_error(error)
        else:
            messages.success(
                request,
                f"Order {edited.number} changed: {edited.total_amount} {edited.currency}, "
                f"{edited.get_status_display().lower()}.",
            )
            return _back(request, edited)
    return _render(request, entry)


@require_POST
@orders_permission(CHANGE)
def order_edit_refresh(request, number):
    """The screen after a button or Enter: the entry partial for htmx, the whole page otherwise."""
    entry = OrderEdit(_order(number), request.POST).updated(action=request.POST.get("action", "update"))
    return _render(request, entry)


@require_POST
@orders_permission(CHANGE)
def order_edit_quote(request, number):
    """The live totals, explanations and stock warnings for what the screen holds (htmx, on change)."""
    entry = OrderEdit(_order(number), request.POST)
    quote = selectors.order_entry_quote(**entry.quote_arguments())
    return render(request, f"{PAGE}#quote", {"entry": entry, "quote": quote, "order": entry.order})


@require_GET
@orders_permission(CHANGE)
def order_edit_products(request, number):
    """Products matching the add bar as it is typed, each a button that adds it to this order."""
    return product_choices(request, refresh_url=reverse("orders:order-edit-refresh", args=[number]))


def _order(number: str) -> Order:
    order = selectors.order_get(number=number)
    if order is None:
        raise Http404("No such order.")
    return order


def _render(request, entry: OrderEdit):
    quote = selectors.order_entry_quote(**entry.quote_arguments())
    template = page_or_partial(request, PAGE, "entry")
    return render(request, template, {"entry": entry, "quote": quote, "order": entry.order})


def _back(request, order: Order, refused: str = ""):
    """To the order's page (with the reason when the order may not be changed)."""
    if refused:
        messages.error(request, refused)
    url = reverse("orders:order-detail", args=[order.number])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
