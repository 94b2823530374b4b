"""Returns pages: authorise a return from an order's shipped lines, then on the return's own page
receive the goods (warehouse) and refund or credit the customer (accounts)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inventory import selectors as inventory_selectors
from orders import selectors
from orders.exceptions import InvalidOrder, OrderError
from orders.forms.returns import ReturnAuthoriseForm, ReturnCancelForm, ReturnReceiveForm, ReturnSettleForm
from orders.models import ReturnAuthorisation
from orders.services import returns as services
from orders.services.returns import return_value, settleable_amount
from orders.states import PaymentMethod, ReturnStatus, Settlement
from orders.views.access import ADD_PAYMENT, orders_permission

ADD_RETURN = "orders.add_returnauthorisation"
RECEIVE_RETURN = "orders.change_returnauthorisation"


@require_http_methods(["GET", "POST"])
@orders_permission(ADD_RETURN)
def return_create(request, number):
    order = selectors.order_get(number=number)
    if order is None:
        raise Http404("No such order.")
    rows = selectors.returnable_rows(order=order)
    if not rows:
        messages.error(request, f"Nothing of order {order.number} has shipped that could still come back.")
        return redirect("orders:order-detail", order.number)
    form = ReturnAuthoriseForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        requests, row_ids = form.requests()
        try:
            rma = services.return_authorise(
                order_id=order.pk, lines=requests, note=form.cleaned_data["note"], actor=request.user
            )
        except InvalidOrder as error:
            form.service_errors(error.errors, row_ids)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Return {rma.number} authorised: the customer may send the goods back.")
            return redirect("orders:return-detail", rma.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "orders/return_create.html", {"order": order, "form": form}, status=status)


@require_GET
@orders_permission()
def return_detail(request, number):
    return _detail(request, _return(number))


def _return(number: str) -> ReturnAuthorisation:
    rma = selectors.return_get(number=number)
    if rma is None:
        raise Http404("No such return.")
    return rma


def _detail(request, rma: ReturnAuthorisation, *, status: int = 200, **forms):
    lines = list(rma.lines.all())
    user = request.user
    context = {"rma": rma, "order": rma.order, "lines": lines, "value": return_value(rma)}
    if rma.status == ReturnStatus.AUTHORISED:
        if user.has_perm(RECEIVE_RETURN):
            bins = inventory_selectors.return_bins(warehouse_id=rma.warehouse_id)
            context["receive_form"] = forms.get("receive_form") or ReturnReceiveForm(lines=lines, bins=bins)
        if user.has_perm(ADD_RETURN):
            context["cancel_form"] = forms.get("cancel_form") or ReturnCancelForm()
    if rma.status == ReturnStatus.RECEIVED and user.has_perm(ADD_PAYMENT):
        context["settle_form"] = forms.get("settle_form") or ReturnSettleForm(
            initial={
                "amount": min(context["value"], settleable_amount(rma.order)),
                "settlement": Settlement.CREDIT
                if rma.order.payment_method == PaymentMethod.ACCOUNT
                else Settlement.REFUND,
            }
        )
    return render(request, "orders/return_detail.html", context, status=status)


@require_POST
@orders_permission(RECEIVE_RETURN)
def return_receive(request, number):
    rma = _return(number)
    lines = list(rma.lines.all())
    form = ReturnReceiveForm(
        request.POST, lines=lines, bins=inventory_selectors.return_bins(warehouse_id=rma.warehouse_id)
    )
    if form.is_valid():
        receipts, row_ids = form.receipts()
        try:
            services.return_receive(rma_id=rma.pk, receipts=receipts, actor=request.user)
        except InvalidOrder as error:
            form.service_errors(error.errors, row_ids)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Return {rma.number} received into {rma.warehouse.code}.")
            return redirect("orders:return-detail", rma.number)
    return _detail(request, rma, status=400, receive_form=form)


@require_POST
@orders_permission(ADD_PAYMENT)
def return_settle(request, number):
    rma = _return(number)
    form = ReturnSettleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.return_settle(
                rma_id=rma.pk,
                settlement=data["settlement"],
                amount=data["amount"],
                reference=data["reference"],
                actor=request.user,
            )
        except InvalidOrder as error:
            for field, message in error.errors.items():
                form.add_error(field if field in form.fields else None, message)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Return {rma.number} settled.")
            return redirect("orders:return-detail", rma.number)
    return _detail(request, rma, status=400, settle_form=form)


@require_POST
@orders_permission(ADD_RETURN)
def return_cancel(request, number):
    rma = _return(number)
    form = ReturnCancelForm(request.POST)
    if form.is_valid():
        try:
            services.return_cancel(rma_id=rma.pk, reason=form.cleaned_data["reason"], actor=request.user)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Return {rma.number} cancelled.")
            return redirect("orders:return-detail", rma.number)
    return _detail(request, rma, status=400, cancel_form=form)
