"""Carriers and labels: the Labels block of each shipment card on the order page (rates, service,
labels, retry, tracking typed by hand, ship) and the batch of labels the fulfilment queue starts
(`labels_batch`: POST `shipment` ids, answered with the job's progress page; `labels_batch_pdf`: the
batch's labels in one PDF). Label files are private: served only here, to staff who may see parcels."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from backoffice.models import BackgroundJob
from orders import selectors
from orders.exceptions import OrderError
from orders.forms.labels import LabelsBatchForm, ServiceForm, TrackingForm
from orders.models import Carrier, CarrierService, Parcel
from orders.services import labels as services
from orders.shipping.rates import rate_choose, rate_quotes, shipment_parcel_specs
from orders.views.access import orders_permission
from orders.views.shipping import shipment_or_404

VIEW_PARCEL = "orders.view_parcel"
CHANGE_PARCEL = "orders.change_parcel"
CHANGE_SHIPMENT = "orders.change_shipment"


def _parcel(parcel_id: int) -> Parcel:
    return get_object_or_404(Parcel.objects.select_related("shipment__order"), pk=parcel_id)


def _back(parcel_or_shipment):
    shipment = getattr(parcel_or_shipment, "shipment", parcel_or_shipment)
    return redirect(f"{reverse('orders:order-detail', args=[shipment.order.number])}#labels-{shipment.pk}")


def _run(request, perform, done: str) -> bool:
    """Call a service; its refusal becomes an error message, its success `done`."""
    try:
        perform()
    except OrderError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, done)
    return True


# --- rates and service ------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@orders_permission()
def shipment_rates(request, number, position):
    """Rate shopping for a shipment: every service's price and arrival, the best one marked, and the
    manual carriers, to choose from."""
    shipment = shipment_or_404(number, position)
    try:
        quotes = rate_quotes(shipment_id=shipment.pk)
        weights = [spec.weight_grams for spec in shipment_parcel_specs(shipment.pk)]
    except OrderError as error:
        messages.error(request, str(error))
        return _back(shipment)
    manual = Carrier.Kind.MANUAL
    context = {
        "order": shipment.order,
        "shipment": shipment,
        "quotes": quotes,
        "chosen": rate_choose(quotes, shipment.promised_date),
        "weights": weights,
        "manual_services": []
        if shipment.is_pickup
        else CarrierService.objects.filter(is_active=True, carrier__is_active=True, carrier__kind=manual)
        .select_related("carrier")
        .order_by("carrier__name", "transit_days"),
        "may_change": request.user.has_perm(CHANGE_SHIPMENT),
    }
    return render(request, page_or_partial(request, "orders/shipment_rates.html", "rates"), context)


@require_POST
@orders_permission(CHANGE_SHIPMENT)
def shipment_service(request, number, position):
    shipment = shipment_or_404(number, position)
    form = ServiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a carrier service.")
        return _back(shipment)
    service_id = form.cleaned_data["service"]
    _run(
        request,
        lambda: services.shipment_service_set(
            shipment_id=shipment.pk, service_id=service_id, actor=request.user, reason="chosen by hand"
        ),
        f"Shipment {shipment.position}: service chosen.",
    )
    return _back(shipment)


# --- labels -----------------------------------------------------------------------------------------


@require_GET
@never_cache
@orders_permission(VIEW_PARCEL)
def shipment_labels_block(request, number, position):
    """The Labels block alone: the order page polls it while a label is being made."""
    shipment = shipment_or_404(number, position)
    context = {
        "order": shipment.order,
        "shipment": shipment,
        "actions": selectors.order_actions(order=shipment.order, user=request.user),
    }
    return render(request, "orders/partials/_shipment_labels.html", context)


@require_POST
@orders_permission(CHANGE_PARCEL)
def shipment_labels(request, number, position):
    """Create the labels of a shipment's parcels (one parcel of all its units if it has none)."""
    shipment = shipment_or_404(number, position)
    try:
        job = services.shipments_labels_request(shipment_ids=[shipment.pk], actor=request.user)
    except OrderError as error:
        messages.error(request, str(error))
        return _back(shipment)
    if job is not None:
        return redirect("job-detail", job.pk)
    messages.success(request, "Labels requested: they appear here in a moment.")
    return _back(shipment)


@require_GET
@orders_permission(VIEW_PARCEL)
def parcel_label(request, parcel_id):
    """One parcel's label PDF, to print."""
    parcel = _parcel(parcel_id)
    if not parcel.label_file or parcel.label_status != Parcel.LabelStatus.CREATED:
        raise Http404("This parcel has no label.")
    return FileResponse(
        parcel.label_file.open("rb"), content_type="application/pdf", filename=f"label-{parcel.tracking_number}.pdf"
    )


@require_POST
@orders_permission(CHANGE_PARCEL)
def parcel_label_retry(request, parcel_id):
    parcel = _parcel(parcel_id)
    _run(
        request,
        lambda: services.labels_request(parcel_ids=[parcel.pk], actor=request.user, job=False),
        f"Label of parcel {parcel.position} requested again.",
    )
    return _back(parcel)


@require_POST
@orders_permission(CHANGE_PARCEL)
def parcel_label_cancel(request, parcel_id):
    parcel = _parcel(parcel_id)
    _run(
        request,
        lambda: services.parcel_label_cancel(parcel_id=parcel.pk, actor=request.user),
        f"Label of parcel {parcel.position} cancelled.",
    )
    return _back(parcel)


@require_POST
@orders_permission(CHANGE_PARCEL)
def parcel_tracking(request, parcel_id):
    """The tracking number a manual carrier gave, typed by staff."""
    parcel = _parcel(parcel_id)
    form = TrackingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type the tracking number (at most 60 characters).")
        return _back(parcel)
    _run(
        request,
        lambda: services.parcel_tracking_set(
            parcel_id=parcel.pk, tracking_number=form.cleaned_data["tracking_number"], actor=request.user
        ),
        f"Tracking number of parcel {parcel.position} saved.",
    )
    return _back(parcel)


@require_POST
@orders_permission(CHANGE_SHIPMENT)
def shipment_dispatch(request, number, position):
    """The carrier took the shipment's parcels: it ships and the customer is e-mailed."""
    shipment = shipment_or_404(number, position)
    _run(
        request,
        lambda: services.shipment_dispatch(shipment_id=shipment.pk, actor=request.user),
        f"Shipment {shipment.position} shipped; the customer is e-mailed the tracking.",
    )
    return _back(shipment)


# --- batches ----------------------------------------------------------------------------------------


@require_POST
@orders_permission(CHANGE_PARCEL)
def labels_batch(request):
    """Labels for the shipments posted as `shipment` ids (e.g. ticked in the fulfilment queue): a
    worker makes them while the job page shows the progress, then offers them in one PDF. On a refusal,
    back to `next` (a page of this site) with the reason."""
    form = LabelsBatchForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = "orders:order-list"
    if not form.is_valid():
        messages.error(request, "Choose the shipments to label: " + " ".join(form.errors.get("shipment", [])))
        return redirect(back)
    try:
        job = services.labels_batch_request(shipment_ids=form.cleaned_data["shipment"], actor=request.user)
    except OrderError as error:
        messages.error(request, str(error))
        return redirect(back)
    return redirect("job-detail", job.pk)


@require_GET
@orders_permission(VIEW_PARCEL)
def labels_batch_pdf(request, job_id):
    """Every label of a batch in one PDF, in the order the shipments were chosen."""
    job = get_object_or_404(BackgroundJob, pk=job_id, kind=services.LABELS_JOB)
    if job.created_by_id != request.user.pk and not request.user.has_perm("backoffice.view_backgroundjob"):
        raise PermissionDenied
    if not job.is_finished:
        messages.info(request, "The labels are still being made.")
        return redirect("job-detail", job.pk)
    if not job.output_file:
        raise Http404("No label of this batch was made.")
    return FileResponse(job.output_file.open("rb"), content_type="application/pdf", filename=f"labels-{job.pk}.pdf")
