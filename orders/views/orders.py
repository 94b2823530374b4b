"""The order list, an order's page, and the actions its state allows (each a button posting a small
form to a transition view, which calls the lifecycle service and comes back to the order's page)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from orders import selectors
from orders.exceptions import OrderError
from orders.forms.actions import CancelForm, HoldForm, PaymentForm, ReleaseForm
from orders.forms.lists import OrderFilterForm
from orders.models import Order
from orders.services import lifecycle
from orders.views.access import ADD_PAYMENT, CHANGE, orders_permission


@require_GET
@orders_permission()
@vary_on_headers("HX-Request")
def order_list(request):
    form = OrderFilterForm(request.GET)
    page = selectors.order_list(**form.selector_arguments())
    template = page_or_partial(request, "orders/order_list.html", "results")
    return render(request, template, {"form": form, "page": page})


@require_GET
@orders_permission()
def order_detail(request, number):
    return _detail(request, _order(number))


def _order(number: str) -> Order:
    order = selectors.order_get(number=number)
    if order is None:
        raise Http404("No such order.")
    return order


def _detail(request, order: Order, *, status: int = 200, **forms):
    """The order's page; an action whose form was refused shows it again with its errors."""
    context = {
        "order": order,
        "actions": selectors.order_actions(order=order, user=request.user),
        "hold_form": forms.get("hold_form") or HoldForm(),
        "release_form": forms.get("release_form") or ReleaseForm(),
        "payment_form": forms.get("payment_form") or PaymentForm(initial={"amount": order.due_amount}),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "returns": selectors.order_returns(order=order),
    }
    return render(request, "orders/order_detail.html", context, status=status)


def _transition(request, number: str, form_class, name: str, perform, done: str):
    """Bind the action's form, call its service, and come back to the order's page with a message;
    the form again with its errors when it is refused."""
    order = _order(number)
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail(request, order, status=400, **{name: form})
    try:
        perform(order, form.cleaned_data)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("orders:order-detail", order.number)


@require_POST
@orders_permission(CHANGE)
def order_hold(request, number):
    def perform(order, data):
        lifecycle.order_hold(order_id=order.pk, reason=data["reason"], note=data["note"], actor=request.user)

    return _transition(request, number, HoldForm, "hold_form", perform, "The order is on hold.")


@require_POST
@orders_permission(CHANGE)
def order_release(request, number):
    def perform(order, data):
        lifecycle.order_release_hold(order_id=order.pk, note=data["note"], actor=request.user)

    return _transition(request, number, ReleaseForm, "release_form", perform, "The hold is released.")


@require_POST
@orders_permission(ADD_PAYMENT)
def order_payment(request, number):
    def perform(order, data):
        lifecycle.order_payment_record(
            order_id=order.pk,
            amount=data["amount"],
            reference=data["reference"],
            kind=data["kind"],
            actor=request.user,
        )

    return _transition(request, number, PaymentForm, "payment_form", perform, "Payment recorded.")


@require_POST
@orders_permission(CHANGE)
def order_cancel(request, number):
    def perform(order, data):
        lifecycle.order_cancel(order_id=order.pk, reason=data["reason"], actor=request.user)

    return _transition(request, number, CancelForm, "cancel_form", perform, "The order is cancelled.")
