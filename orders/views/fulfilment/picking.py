"""A pick list: on screen with the quantities to confirm, on paper, and confirmed."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from orders.exceptions import OrderError
from orders.fulfilment import picking, selectors
from orders.fulfilment.exceptions import PickingInvalid
from orders.fulfilment.forms import PickConfirmForm
from orders.models import PickList
from orders.views.fulfilment import CHANGE_SHIPMENT, fulfilment_permission


def _pick_list(number: str) -> PickList:
    pick_list = selectors.pick_list_get(number=number)
    if pick_list is None:
        raise Http404("No such pick list.")
    return pick_list


def _detail(request, pick_list: PickList, form: PickConfirmForm | None = None, *, status: int = 200):
    if form is None and pick_list.status == PickList.Status.OPEN:
        form = PickConfirmForm(lines=list(pick_list.lines.all()))
    context = {"pick_list": pick_list, "form": form, "stages": selectors.Stage.labels}
    return render(request, "orders/fulfilment/picklist_detail.html", context, status=status)


@require_GET
@fulfilment_permission()
def pick_list_detail(request, number):
    return _detail(request, _pick_list(number))


@require_GET
@fulfilment_permission()
def pick_list_print(request, number):
    return render(request, "orders/fulfilment/picklist_print.html", {"pick_list": _pick_list(number)})


@require_POST
@fulfilment_permission(CHANGE_SHIPMENT)
def pick_list_confirm(request, number):
    pick_list = _pick_list(number)
    form = PickConfirmForm(request.POST, lines=list(pick_list.lines.all()))
    if not form.is_valid():
        return _detail(request, pick_list, form, status=400)
    try:
        outcome = picking.pick_list_confirm(pick_list_id=pick_list.pk, picks=form.picks(), actor=request.user)
    except PickingInvalid as error:
        form.add_line_errors(error.errors)
        return _detail(request, pick_list, form, status=400)
    except OrderError as error:
        messages.error(request, str(error))
        return redirect("orders:fulfilment:pick-list-detail", pick_list.number)
    messages.success(request, f"Pick list {pick_list.number} is picked: its shipments can be packed.")
    if outcome.short:
        names = ", ".join(str(shipment) for shipment in outcome.short)
        messages.warning(request, f"Back in the queue, short: {names}.")
    if outcome.put_back:
        where = "; ".join(
            f"{units} x {sku}" + (f" to bin {bin_code}" if bin_code else "")
            for sku, bin_code, units in outcome.put_back
        )
        messages.warning(request, f"Put back what no shipment needs: {where}.")
    return redirect("orders:fulfilment:pick-list-detail", pick_list.number)
