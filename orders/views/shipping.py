"""A shipment's buttons on the order page: ship it (staff type the carrier and tracking number, or
hand a pick-up over) and mark it delivered."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from orders import selectors
from orders.exceptions import OrderError
from orders.forms.actions import ShipForm
from orders.models import Shipment
from orders.services import shipping as services
from orders.views.access import orders_permission

CHANGE_SHIPMENT = "orders.change_shipment"


def shipment_or_404(number: str, position: int) -> Shipment:
    shipment = selectors.shipment_get(number=number, position=position)
    if shipment is None:
        raise Http404("No such shipment.")
    return shipment


@require_POST
@orders_permission(CHANGE_SHIPMENT)
def shipment_ship(request, number, position):
    shipment = shipment_or_404(number, position)
    form = ShipForm(request.POST)
    if shipment.is_pickup:
        carrier = tracking_number = ""
    elif form.is_valid():
        carrier, tracking_number = form.cleaned_data["carrier"], form.cleaned_data["tracking_number"]
    else:
        messages.error(request, "Say which carrier takes the shipment.")
        return redirect("orders:order-detail", shipment.order.number)
    try:
        services.shipment_ship(
            shipment_id=shipment.pk, carrier=carrier, tracking_number=tracking_number, actor=request.user
        )
    except OrderError as error:
        messages.error(request, str(error))
    else:
        done = "handed to the customer" if shipment.is_pickup else "shipped"
        messages.success(request, f"Shipment {shipment.position} {done}.")
    return redirect("orders:order-detail", shipment.order.number)


@require_POST
@orders_permission(CHANGE_SHIPMENT)
def shipment_deliver(request, number, position):
    shipment = shipment_or_404(number, position)
    try:
        services.shipment_deliver(shipment_id=shipment.pk, actor=request.user)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Shipment {shipment.position} delivered.")
    return redirect("orders:order-detail", shipment.order.number)
