"""Carriers' tracking events: where a parcel is, and what follows from it.

`tracking_event_record` takes one event (a `TrackingUpdate`, read from the carrier's payload by its
adapter) in a transaction of its own; `tracking_events_record` takes a batch, one transaction each, so
that one bad event does not cost the others. Per event:

- The parcel is found by its tracking number; failing that, a shipment shipped from the order page
  without parcels, by the tracking number typed for it (it gets one parcel, holding all its units, that
  stands for the box the carrier took, so that its events have a parcel like any other's). Neither: the
  event is refused, and nothing is stored.
- The event is stored once per event id and parcel (carriers' ids are unique only within a carrier):
  a repeat changes nothing and is answered "duplicate"; the same id for the same parcel with other
  content is refused (`event_id_conflict`).
- A parcel still packed that the carrier reports moving (in transit, out for delivery, delivered) has
  evidently been taken: it ships (`orders.services.labels.parcel_ship`: the last one ships the shipment,
  stock leaves, the customer is e-mailed). If it cannot (the order on hold, say), the event is kept and
  the timeline says why the parcel was not shipped.
- The parcel's status is its newest event's (by the carrier's time): an older event arriving late is
  stored and changes nothing. Delivered is final except for returned to sender, which is final.
- When every parcel of a shipment is delivered, the shipment is (`shipment_deliver`: cash on delivery
  collected, awaiting remittance; the order delivered, or completed when paid).
- Delivery problems, returns to sender and out-for-delivery scans go on the order's timeline (kind
  "tracking"); in-transit scans only move the parcel, not to flood the timeline.

Locks: the order, then the shipment, then its parcels by id, as every order service takes them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.exceptions import InventoryError
from orders.exceptions import OrderError
from orders.models import Order, Parcel, Shipment, TrackingEvent
from orders.services.labels import default_parcels_create, parcel_ship
from orders.services.lifecycle import _event, locked_with_order
from orders.services.shipping import shipment_deliver
from orders.shipping.carriers import TrackingUpdate
from orders.states import ShipmentStatus

Status = TrackingEvent.Status
# Scans that say the carrier has the parcel.
_TAKEN = (Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY, Status.DELIVERED)
_PROBLEMS = (Status.EXCEPTION, Status.RETURNED_TO_SENDER)
# The tracking number can move between the unlocked look-up and the lock (a label cancelled and
# another made meanwhile): look again, a few times at most.
_LOOKUPS = 3

CREATED, DUPLICATE, REFUSED = "created", "duplicate", "refused"
UNKNOWN_TRACKING_NUMBER = "unknown_tracking_number"
AMBIGUOUS_TRACKING_NUMBER = "ambiguous_tracking_number"
EVENT_ID_CONFLICT = "event_id_conflict"


@dataclass(frozen=True)
class TrackingOutcome:
    """What became of one event, and where its parcel, shipment and order stand after it."""

    event_id: str
    tracking_number: str
    result: str  # CREATED, DUPLICATE or REFUSED
    error: str = ""  # for REFUSED: UNKNOWN_TRACKING_NUMBER, AMBIGUOUS_TRACKING_NUMBER or EVENT_ID_CONFLICT
    message: str = ""
    parcel_position: int | None = None
    parcel_status: str = ""
    shipment_position: int | None = None
    shipment_status: str = ""
    order_number: str = ""
    order_status: str = ""
    payment_status: str = ""


def tracking_events_record(*, updates: list[TrackingUpdate], actor=None) -> list[TrackingOutcome]:
    """Record each event in its own transaction (see `tracking_event_record`), in the order given."""
    return [tracking_event_record(update=update, actor=actor) for update in updates]


@transaction.atomic(durable=True)
def tracking_event_record(*, update: TrackingUpdate, actor=None) -> TrackingOutcome:
    """Store a carrier's event and move its parcel, shipment and order on; one transaction.

    Never raises for the event's content: an unknown tracking number or a reused event id is a
    REFUSED outcome, a parcel that cannot ship or a shipment that cannot be delivered a timeline note.
    """
    stored = _stored(update)
    if stored is not None:
        return _repeat(stored, update)
    for _attempt in range(_LOOKUPS):
        target = _target(update.tracking_number)
        if isinstance(target, tuple):
            return _refused(update, *target)
        try:
            order, shipment = locked_with_order(Shipment, target, "shipment")
        except OrderError:
            continue  # deleted meanwhile: look again
        parcels = list(Parcel.objects.select_for_update().filter(shipment=shipment).order_by("pk"))
        parcel = next((p for p in parcels if p.tracking_number == update.tracking_number), None)
        if parcel is None and not parcels and shipment.tracking_number == update.tracking_number:
            parcel = _parcel_for_shipment(shipment)
            parcels = [parcel]
        if parcel is not None:
            break
    else:
        return _refused(update, UNKNOWN_TRACKING_NUMBER, f"No parcel has tracking number {update.tracking_number}.")
    # A concurrent request with this event id for this parcel held the order's lock until it committed.
    stored = _stored(update)
    if stored is not None:
        return _repeat(stored, update)
    try:
        with transaction.atomic():
            event = TrackingEvent.objects.create(
                event_id=update.event_id,
                parcel=parcel,
                status=update.status,
                occurred_at=update.occurred_at,
                location=update.location,
                description=update.description,
            )
    except IntegrityError:
        # Stored meanwhile for this parcel (a safety net: the order's lock serialises these).
        return _repeat(_stored(update), update)
    _apply(order, shipment, parcel, event, actor)
    return _outcome(update, CREATED, parcel_id=parcel.pk)


# --- finding the parcel ---------------------------------------------------------------------------


def _stored(update: TrackingUpdate) -> TrackingEvent | None:
    """The event stored before with this id for this tracking number's parcel (ids are the carrier's,
    unique within one carrier: the tracking number, unique here, tells the carriers apart)."""
    return (
        TrackingEvent.objects.select_related("parcel")
        .filter(event_id=update.event_id, parcel__tracking_number=update.tracking_number)
        .first()
    )


def _repeat(stored: TrackingEvent, update: TrackingUpdate) -> TrackingOutcome:
    same = (
        stored.parcel.tracking_number == update.tracking_number
        and stored.status == update.status
        and stored.occurred_at == update.occurred_at
        and stored.location == update.location
        and stored.description == update.description
    )
    if not same:
        return _refused(
            update,
            EVENT_ID_CONFLICT,
            f"Event {update.event_id} was received before with other content; an event id names one event.",
        )
    return _outcome(update, DUPLICATE, parcel_id=stored.parcel_id)


def _target(tracking_number: str) -> int | tuple[str, str]:
    """The id of the shipment whose parcel (or, without parcels, itself) has this tracking number, or
    why there is none (error code, message). Unlocked: the caller locks the shipment and looks again."""
    shipment_id = Parcel.objects.filter(tracking_number=tracking_number).values_list("shipment_id", flat=True).first()
    if shipment_id is not None:
        return shipment_id
    shipments = list(
        Shipment.objects.filter(
            tracking_number=tracking_number,
            parcels__isnull=True,
            status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED),
        ).values_list("pk", flat=True)[:2]
    )
    if len(shipments) == 1:
        return shipments[0]
    if shipments:
        return AMBIGUOUS_TRACKING_NUMBER, f"More than one shipment has tracking number {tracking_number}."
    return UNKNOWN_TRACKING_NUMBER, f"No parcel has tracking number {tracking_number}."


def _parcel_for_shipment(shipment: Shipment) -> Parcel:
    """The one parcel of a shipment that shipped without any (from the order page, tracking number
    typed): all its units, with the shipment's tracking number, shipped when it was."""
    default_parcels_create([shipment])
    Parcel.objects.filter(shipment=shipment).update(
        tracking_number=shipment.tracking_number,
        service=shipment.service,
        status=Parcel.Status.SHIPPED,
        shipped_at=shipment.shipped_at,
    )
    return Parcel.objects.select_for_update().get(shipment=shipment)


# --- what the event changes -----------------------------------------------------------------------


def _apply(order: Order, shipment: Shipment, parcel: Parcel, event: TrackingEvent, actor) -> None:
    if parcel.status == Parcel.Status.PACKED:
        if event.status not in _TAKEN:
            _problem_note(order, shipment, parcel, event, " (the parcel is not marked shipped yet)", actor)
            return
        if not _taken(order, shipment, parcel, event, _when(event, not_before=parcel.created_at), actor):
            return
        parcel.refresh_from_db()
    newest = parcel.tracking_events.order_by("-occurred_at", "-pk").first()
    target = newest.status
    if parcel.status == Parcel.Status.RETURNED_TO_SENDER:
        return
    if parcel.status == Parcel.Status.DELIVERED and target != Status.RETURNED_TO_SENDER:
        return
    # A second delivery problem is news even though the status stays.
    if target == parcel.status and not (newest.pk == event.pk and target == Status.EXCEPTION):
        return
    old = parcel.status
    parcel.status = target
    fields = ["status", "updated_at"]
    if target == Status.DELIVERED:
        parcel.delivered_at = _when(newest, not_before=parcel.shipped_at)
        fields.append("delivered_at")
    parcel.save(update_fields=fields)
    if target == Status.OUT_FOR_DELIVERY:
        _note(order, shipment, parcel, newest, "out for delivery", actor)
    elif target in _PROBLEMS:
        after = " (after it was reported delivered: check the delivery)" if old == Parcel.Status.DELIVERED else ""
        _problem_note(order, shipment, parcel, newest, after, actor)
    elif target == Status.DELIVERED:
        _delivered(order, shipment, parcel, newest, actor)


def _when(event: TrackingEvent, *, not_before: datetime | None) -> datetime:
    """The event's time for our records: never in the future (a carrier's clock may run ahead) nor
    before what must have come first (packed before shipped, shipped before delivered)."""
    moment = min(event.occurred_at, timezone.now())
    return max(moment, not_before) if not_before else moment


def _taken(order: Order, shipment: Shipment, parcel: Parcel, event: TrackingEvent, at: datetime, actor) -> bool:
    """Ship a packed parcel the carrier reports having; False (and a timeline note) if it cannot ship."""
    if shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
        # The shipment was shipped as a whole from the order page: the parcel left with it.
        parcel.status, parcel.shipped_at = Parcel.Status.SHIPPED, shipment.shipped_at or at
        parcel.save(update_fields=["status", "shipped_at", "updated_at"])
        return True
    try:
        # A savepoint (parcel_ship is atomic): a refusal takes back its partial work, the event stays.
        parcel_ship(parcel_ids=[parcel.pk], actor=actor, at=at)
    except (OrderError, InventoryError) as error:
        what = Status(event.status).label.lower()
        _note(order, shipment, parcel, event, f"reported {what} but could not be marked shipped: {error}", actor)
        return False
    shipment.refresh_from_db()
    return True


def _delivered(order: Order, shipment: Shipment, parcel: Parcel, event: TrackingEvent, actor) -> None:
    statuses = list(Parcel.objects.filter(shipment=shipment).values_list("status", "delivered_at"))
    done = [at for status, at in statuses if status == Parcel.Status.DELIVERED]
    if len(done) < len(statuses):
        _note(order, shipment, parcel, event, f"delivered ({len(done)} of {len(statuses)} parcels)", actor)
        return
    try:
        # A savepoint (shipment_deliver is atomic): a refusal takes back its partial work, the event stays.
        shipment_deliver(shipment_id=shipment.pk, actor=actor, at=max(done))
    except OrderError as error:
        message = f"Shipment {shipment.position}: every parcel delivered, but the shipment was not marked delivered"
        _event(order, "tracking", f"{message}: {error}", actor)


def _problem_note(order: Order, shipment: Shipment, parcel: Parcel, event: TrackingEvent, after: str, actor) -> None:
    what = "delivery problem" if event.status == Status.EXCEPTION else "returned to sender"
    _note(order, shipment, parcel, event, what, actor, after=after)


def _note(
    order: Order, shipment: Shipment, parcel: Parcel, event: TrackingEvent, what: str, actor, *, after: str = ""
) -> None:
    """A timeline entry staff see: what happened to which parcel, where, and in the carrier's words."""
    where = f" at {event.location}" if event.location else ""
    said = f": {event.description}" if event.description else ""
    _event(
        order,
        "tracking",
        f"Shipment {shipment.position}, parcel {parcel.position} ({parcel.tracking_number}): "
        f"{what}{where}{said}{after}",
        actor,
        new={
            "event_id": event.event_id,
            "status": event.status,
            "occurred_at": event.occurred_at.isoformat(),
            "location": event.location,
            "description": event.description,
        },
    )


# --- outcomes -------------------------------------------------------------------------------------


def _refused(update: TrackingUpdate, error: str, message: str) -> TrackingOutcome:
    return TrackingOutcome(
        event_id=update.event_id, tracking_number=update.tracking_number, result=REFUSED, error=error, message=message
    )


def _outcome(update: TrackingUpdate, result: str, *, parcel_id: int) -> TrackingOutcome:
    parcel = Parcel.objects.select_related("shipment__order").get(pk=parcel_id)
    shipment, order = parcel.shipment, parcel.shipment.order
    return TrackingOutcome(
        event_id=update.event_id,
        tracking_number=update.tracking_number,
        result=result,
        parcel_position=parcel.position,
        parcel_status=parcel.status,
        shipment_position=shipment.position,
        shipment_status=shipment.status,
        order_number=order.number,
        order_status=order.status,
        payment_status=order.payment_status,
    )
