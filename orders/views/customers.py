"""A customer's orders, for the customer page (crm) to embed: crm never reads orders itself, its
page loads this card by hx-get (CONVENTIONS.md section 3)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from orders import selectors
from orders.forms.lists import OrderFilterForm
from orders.views.access import orders_permission

PAGE = "orders/order_history.html"
# Orders a page of the card shows; "More orders" adds the next ones below.
HISTORY_PAGE_SIZE = 10


@require_GET
@orders_permission()
@vary_on_headers("HX-Request")
def customer_orders(request, customer_id):
    """The customer's orders, newest first, keyset-paged like the order list: the card, or with
    ?before= the rows that follow (which the card's "More orders" button adds)."""
    before = OrderFilterForm({"before": request.GET.get("before", "")}).selector_arguments()["before"]
    page = selectors.order_list(customer_id=customer_id, before=before, limit=HISTORY_PAGE_SIZE)
    partial = "rows" if before else "card"
    context = {"page": page, "customer_id": customer_id}
    return render(request, page_or_partial(request, PAGE, partial), context)
