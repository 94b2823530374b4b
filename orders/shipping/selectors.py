"""Reads for the label pages: a shipment's parcels with their services, and what can be done next."""

from dataclasses import dataclass

from orders.models import Carrier, CarrierService, Parcel, Shipment
from orders.shipping.carriers import adapter_for
from orders.states import ShipmentStatus

Status = Parcel.LabelStatus


@dataclass(frozen=True)
class ShipmentLabels:
    shipment: Shipment
    service: CarrierService | None
    parcels: list[Parcel]
    # The service's carrier makes labels (or no service is chosen yet: rate shopping picks one that may).
    makes_labels: bool
    # Staff type tracking numbers (a manual carrier).
    types_tracking: bool
    # Some parcel waits for a label, or the shipment has no parcel yet: "Create labels" is offered.
    can_request: bool
    # A label is being made: the block refreshes itself until it is.
    pending: bool
    # Every packed parcel has what it needs to leave: "Ship" is offered.
    can_ship: bool


def shipment_labels(*, shipment: Shipment) -> ShipmentLabels:
    """A shipment's parcels and label state, in two queries."""
    parcels = list(Parcel.objects.filter(shipment=shipment).select_related("service__carrier").order_by("position"))
    service = (
        CarrierService.objects.select_related("carrier").filter(pk=shipment.service_id).first()
        if shipment.service_id
        else None
    )
    ready = shipment.status == ShipmentStatus.READY and not shipment.is_pickup
    makes_labels = service is None or adapter_for(service.carrier).creates_labels
    types_tracking = service is not None and service.carrier.kind == Carrier.Kind.MANUAL
    packed = [p for p in parcels if p.status == Parcel.Status.PACKED]
    needs_label = not parcels or any(p.label_status in (Status.NONE, Status.CANCELLED) for p in packed)
    return ShipmentLabels(
        shipment=shipment,
        service=service,
        parcels=parcels,
        makes_labels=makes_labels,
        types_tracking=types_tracking,
        can_request=ready and makes_labels and needs_label,
        pending=any(p.label_status == Status.PENDING for p in parcels),
        can_ship=ready
        and service is not None
        and bool(packed)
        and all(p.tracking_number and (not makes_labels or p.label_status == Status.CREATED) for p in packed),
    )
