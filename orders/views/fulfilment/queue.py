"""A warehouse's fulfilment queue (filters, stages, ticking shipments), putting shipments on a pick
list, and the warehouse's pick lists."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from inventory.models import Warehouse
from orders.exceptions import OrderError
from orders.fulfilment import picking, selectors
from orders.fulfilment.forms import PickListCreateForm, QueueFilterForm
from orders.models import PickList
from orders.views.fulfilment import CHANGE_SHIPMENT, fulfilment_permission

SESSION_WAREHOUSE = "fulfilment_warehouse"


def _warehouse(code: str, warehouses: list[Warehouse]) -> Warehouse:
    warehouse = next((w for w in warehouses if w.code.lower() == code.lower()), None)
    if warehouse is None:
        raise Http404("No such warehouse.")
    return warehouse


@require_GET
@fulfilment_permission()
def fulfilment_home(request):
    """The queue of the warehouse this person worked in last (else the first one)."""
    warehouses = selectors.fulfilment_warehouses()
    if not warehouses:
        return render(request, "orders/fulfilment/no_warehouse.html")
    last = request.session.get(SESSION_WAREHOUSE, "")
    chosen = next((w for w in warehouses if w.code == last), warehouses[0])
    return redirect("orders:fulfilment:queue", chosen.code)


@require_GET
@fulfilment_permission()
@vary_on_headers("HX-Request")
def queue(request, code):
    warehouses = selectors.fulfilment_warehouses()
    warehouse = _warehouse(code, warehouses)
    request.session[SESSION_WAREHOUSE] = warehouse.code
    form = QueueFilterForm(request.GET)
    page = selectors.fulfilment_queue(
        warehouse_id=warehouse.pk, filters=form.filters(), after=form.cleaned_data.get("after")
    )
    context = {
        "warehouse": warehouse,
        "warehouses": warehouses,
        "form": form,
        "page": page,
        "stages": [(value, label, page.stage_counts.get(value)) for value, label in form.fields["stage"].choices],
        "open_lists": selectors.pick_list_list(warehouse_id=warehouse.pk, status=PickList.Status.OPEN, limit=20),
        "create_form": PickListCreateForm(),
    }
    template = page_or_partial(request, "orders/fulfilment/shipment_queue.html", "results")
    return render(request, template, context)


@require_POST
@fulfilment_permission(CHANGE_SHIPMENT)
def pick_list_create(request, code):
    """Put the ticked shipments, or the next ones of the queue (as filtered), on a new pick list."""
    warehouse = _warehouse(code, selectors.fulfilment_warehouses())
    back = reverse("orders:fulfilment:queue", args=[warehouse.code]) + _filters_query(request)
    form = PickListCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(back)
    batch = form.cleaned_data["batch"]
    try:
        pick_list = picking.pick_list_create(
            warehouse_id=warehouse.pk,
            shipment_ids=None if batch else form.cleaned_data["shipment"],
            limit=form.cleaned_data["limit"] or 20,
            filters=QueueFilterForm(request.POST).filters(),
            actor=request.user,
        )
    except OrderError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, f"Pick list {pick_list.number} is ready to pick.")
    return redirect("orders:fulfilment:pick-list-detail", pick_list.number)


def _filters_query(request) -> str:
    """The queue's filters, carried by the action form, to come back to the same view."""
    keep = {
        name: request.POST[name]
        for name in ("stage", "carrier", "service", "priority", "age")
        if request.POST.get(name)
    }
    return f"?{urlencode(keep)}" if keep else ""


@require_GET
@fulfilment_permission()
def pick_list_list(request, code):
    warehouses = selectors.fulfilment_warehouses()
    warehouse = _warehouse(code, warehouses)
    context = {
        "warehouse": warehouse,
        "warehouses": warehouses,
        "pick_lists": selectors.pick_list_list(warehouse_id=warehouse.pk, limit=100),
    }
    return render(request, "orders/fulfilment/picklist_list.html", context)
