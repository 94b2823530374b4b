"""The order entry screen, built for the keyboard.

Everything typed lives in the page's one form and is posted back whole: `order_entry_quote` prices it
on every change (the pricing engine's live totals and explanations, swapped into the page by htmx);
`order_entry_refresh` applies the screen's buttons and Enter (add a line, split into shipments, pick a
customer...) and shows the screen again; `order_create` places the order through order_place. The
same form posted without htmx (Enter or a button) gets the whole page back, so nothing depends on it.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from backoffice.htmx import page_or_partial
from inventory import selectors as inventory_selectors
from inventory.exceptions import InsufficientStock
from orders import selectors
from orders.exceptions import OrderError
from orders.forms.entry import OrderEntry
from orders.forms.entry_parts import PRODUCT_MATCHES, AddLineForm
from orders.services.placement import order_place
from orders.views.access import ADD, orders_permission

PAGE = "orders/order_create.html"


@require_http_methods(["GET", "POST"])
@orders_permission(ADD)
@vary_on_headers("HX-Request")
def order_create(request):
    """GET: a blank screen (?customer=<id> picks that customer). POST: place the order, or show the
    screen again with what order_place refused beside the fields concerned; nothing is created then."""
    if request.method != "POST":
        entry = OrderEntry.for_customer(_customer_id(request.GET.get("customer", "")))
        return _render(request, entry)
    entry = OrderEntry(request.POST)
    if entry.is_valid():
        try:
            order = order_place(data=entry.order_input(), actor=request.user)
        except (OrderError, InsufficientStock) as error:
            entry.add_place_error(error)
        else:
            messages.success(request, f"Order {order.number} placed: {order.get_status_display().lower()}.")
            if request.htmx:
                return HttpResponseClientRedirect(_order_url(order))
            return redirect(_order_url(order))
    return _render(request, entry)


@require_POST
@orders_permission(ADD)
def order_entry_refresh(request):
    """The screen after a button or Enter: the entry partial for htmx, the whole page otherwise."""
    entry = OrderEntry(request.POST).updated(action=request.POST.get("action", "update"))
    return _render(request, entry, clear_quick_create=request.POST.get("action") == "customer-created")


@require_POST
@orders_permission(ADD)
def order_entry_quote(request):
    """The live totals, explanations and stock warnings for what the screen holds (htmx, on change)."""
    entry = OrderEntry(request.POST)
    quote = selectors.order_entry_quote(**entry.quote_arguments())
    return render(request, f"{PAGE}#quote", {"entry": entry, "quote": quote})


@require_GET
@orders_permission(ADD)
def order_entry_products(request):
    """Products matching the add bar as it is typed (SKU, barcode or name), with their stock per
    warehouse; each is a button that adds it."""
    return product_choices(request, refresh_url=reverse("orders:order-entry-refresh"))


@require_GET
@orders_permission(ADD)
def order_entry_dismiss(request):
    """An empty answer: the quick-create panel's close button swaps the panel's content for it (the
    page holds no script of its own, the content security policy allows none)."""
    return HttpResponse("")


def product_choices(request, *, refresh_url: str):
    """The products the add bar names, each a button posting the screen to `refresh_url` to add it
    (the order entry screen's, or the change screen's)."""
    text = AddLineForm(request.GET, prefix="add")["sku"].value() or ""
    page = inventory_selectors.product_list(query=text[:100], limit=PRODUCT_MATCHES) if text.strip() else None
    context = {"products": page, "text": text, "refresh_url": refresh_url}
    return render(request, "orders/partials/_entry_products.html", context)


def _render(request, entry: OrderEntry, **extra):
    quote = selectors.order_entry_quote(**entry.quote_arguments())
    template = page_or_partial(request, PAGE, "entry")
    return render(request, template, {"entry": entry, "quote": quote, **extra})


def _customer_id(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _order_url(order) -> str:
    return reverse("orders:order-detail", args=[order.number])
