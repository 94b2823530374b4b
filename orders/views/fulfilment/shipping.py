"""After packing, at the pack station: choosing the carrier service among the rate quotes, asking for
the labels (workers make them; the page follows their progress), typing a manual carrier's tracking
number, and handing the parcels to the carrier. Each button calls one service of
orders.services.labels and comes back to the shipment's pack page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from orders.exceptions import OrderError
from orders.fulfilment import pack_selectors
from orders.models import Parcel
from orders.services import labels
from orders.views.fulfilment import ADD_PARCEL, CHANGE_SHIPMENT, fulfilment_permission, pick_list_from, shipment_or_404

CHANGE_PARCEL = "orders.change_parcel"


def _back(request, shipment_id: int):
    url = reverse("orders:fulfilment:pack-shipment", args=[shipment_id])
    pick_list = pick_list_from(request)
    return redirect(f"{url}?list={pick_list.number}" if pick_list else url)


def _perform(request, shipment_id: int, perform, done: str):
    try:
        perform()
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return _back(request, shipment_id)


@require_POST
@fulfilment_permission(CHANGE_SHIPMENT)
def pack_service(request, shipment_id):
    """Send the shipment with the service chosen among the quotes."""
    service = request.POST.get("service", "")

    def perform():
        if not service.isdigit():
            raise OrderError("Choose a carrier service.")
        labels.shipment_service_set(
            shipment_id=shipment_id, service_id=int(service), actor=request.user, reason="chosen at the pack station"
        )

    return _perform(request, shipment_id, perform, "Carrier service chosen.")


@require_POST
@fulfilment_permission(ADD_PARCEL, CHANGE_PARCEL)
def pack_labels(request, shipment_id):
    """Ask for the labels of the shipment's parcels that have none."""

    def perform():
        labels.labels_request(
            parcel_ids=pack_selectors.parcel_ids_to_label(shipment_id=shipment_id), actor=request.user
        )

    return _perform(request, shipment_id, perform, "Labels requested: they appear here as soon as they are made.")


@require_POST
@fulfilment_permission(CHANGE_PARCEL)
def pack_tracking(request, shipment_id):
    """A manual carrier's tracking number, typed for one parcel."""
    parcel = Parcel.objects.filter(shipment_id=shipment_id, pk=request.POST.get("parcel") or 0).first()

    def perform():
        if parcel is None:
            raise OrderError("Choose the parcel.")
        labels.parcel_tracking_set(
            parcel_id=parcel.pk, tracking_number=request.POST.get("tracking_number", ""), actor=request.user
        )

    return _perform(request, shipment_id, perform, "Tracking number recorded.")


@require_POST
@fulfilment_permission(CHANGE_SHIPMENT)
def pack_ship(request, shipment_id):
    """Every packed parcel leaves with the carrier: the shipment ships."""

    def perform():
        labels.shipment_dispatch(shipment_id=shipment_id, actor=request.user)

    return _perform(request, shipment_id, perform, "Shipped: the customer is e-mailed the tracking numbers.")


@require_GET
@fulfilment_permission()
def pack_parcels(request, shipment_id):
    """The parcels with their labels, which the page asks for again while a label is being made."""
    state = pack_selectors.shipping_state(shipment=shipment_or_404(shipment_id))
    context = {"state": state, "shipment": state.shipment, "pick_list": pick_list_from(request)}
    return render(request, "orders/fulfilment/pack_done.html#parcels", context)
