"""Carrier services, shipping labels and shipping confirmation of parcels.

- `shipment_service_set`: the carrier service a shipment goes with (staff, or rate shopping when a
  label is asked for a shipment without one).
- `labels_request` (parcels), `shipments_labels_request` (whole shipments, a parcel of the units'
  weight made for those not packed yet): marks the parcels' labels pending and, once committed, a
  Celery task per parcel (orders.tasks.parcel_label_task) creates each one; more than
  LABELS_JOB_THRESHOLD parcels (or a batch) get a background job with a progress bar, which ends with
  one merged PDF of all the labels (`labels_batch_finish`).
- `parcel_label_create`: what the task does, idempotent per parcel: it locks the parcel, skips it when
  its label exists, and asks the carrier's adapter for a tracking number and label PDF, stored with the
  parcel in the same transaction. A transient failure is counted on the parcel and raised for the task
  to retry with backoff; a final one (`parcel_label_fail`) marks the label failed with the reason, shown
  on the order's page with a Retry button.
- `parcel_label_cancel`, `parcel_tracking_set` (manual carriers: staff type the tracking number).
- `parcel_ship` / `shipment_dispatch`: parcels are handed to the carrier; when all of a shipment's
  are, the shipment ships (orders.services.shipping.shipment_ship: stock leaves through inventory, the
  order becomes partially shipped or shipped) and the customer is e-mailed the tracking numbers
  (`shipment_confirmation_send`, a task enqueued on commit).

Locks are taken order, then shipment, then its parcels by id, as every order service does; the label
task locks only its parcel, and waits for nothing else while it holds it.
"""

import io
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, OperationalError, transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from backoffice.jobs import job_create, job_finish, job_progress, job_start
from backoffice.models import BackgroundJob
from orders.exceptions import OrderError
from orders.models import Carrier, CarrierService, Order, OrderEvent, Parcel, ParcelItem, Shipment, ShipmentLine
from orders.services.lifecycle import _event
from orders.services.shipping import _locked_shipment, shipment_ship
from orders.shipping.calendar import next_working_day
from orders.shipping.carriers import Address, CarrierError, CarrierUnavailable, LabelRequest, adapter_for
from orders.shipping.rates import rate_choose, rate_quotes, units_weight_grams
from orders.states import OrderStatus, ShipmentStatus

logger = logging.getLogger(__name__)

LABELS_JOB = "orders.labels"
CONFIRMATION_EVENT = "shipping_email"
# Failures a later attempt may not meet: the carrier unreachable, storage or database trouble.
TRANSIENT_ERRORS = (CarrierUnavailable, OSError, OperationalError)
_LABEL_FAILED_NOTE = "Label failed"

Status = Parcel.LabelStatus


# --- carrier service --------------------------------------------------------------------------------


@transaction.atomic
def shipment_service_set(*, shipment_id: int, service_id: int, actor=None, reason: str = "") -> Shipment:
    """Send the shipment with this carrier service (staff overriding rate shopping, or choosing a
    manual carrier). Refused once the shipment has left, for a service not in use, a pick-up service
    for a delivery or the reverse, and while a parcel has a label or tracking number of its own."""
    order, shipment = _locked_shipment(shipment_id)
    return _service_set(order, shipment, service_id, actor, reason)


def _service_set(order: Order, shipment: Shipment, service_id: int, actor, reason: str) -> Shipment:
    if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.READY):
        raise OrderError(f"Shipment {shipment.position} is {shipment.get_status_display().lower()}; its service stays.")
    service = CarrierService.objects.select_related("carrier").filter(pk=service_id).first()
    if service is None:
        raise OrderError(f"There is no carrier service {service_id}.")
    if not (service.is_active and service.carrier.is_active):
        raise OrderError(f"{service} is not in use.")
    if (service.carrier.kind == Carrier.Kind.PICKUP) != shipment.is_pickup:
        raise OrderError(
            f"Shipment {shipment.position} is collected by the customer: choose a pick-up service."
            if shipment.is_pickup
            else f"{service} is for pick-ups; shipment {shipment.position} is delivered."
        )
    if shipment.service_id == service.pk:
        return shipment
    labelled = (
        Parcel.objects.filter(shipment=shipment, status=Parcel.Status.PACKED)
        .filter(Q(label_status__in=(Status.PENDING, Status.CREATED)) | ~Q(tracking_number=""))
        .order_by("position")
        .first()
    )
    if labelled is not None:
        raise OrderError(
            f"Parcel {labelled.position} of shipment {shipment.position} already has a label or tracking number "
            f"with the current service: cancel it first."
        )
    old = str(shipment.service) if shipment.service_id else None
    shipment.service = service
    shipment.save(update_fields=["service", "updated_at"])
    _event(
        order, "shipment", f"Shipment {shipment.position}: {service}{f' ({reason})' if reason else ''}", actor,
        old=old, new=str(service),
    )  # fmt: skip
    return shipment


def _service_by_rate_shopping(order: Order, shipment: Shipment, actor) -> str:
    """Choose the shipment's service as rate shopping would; returns why none could be chosen, or ""."""
    quotes = rate_quotes(shipment_id=shipment.pk)
    chosen = rate_choose(quotes, shipment.promised_date)
    if chosen is None:
        country = (shipment.ship_to or {}).get("country") or "the address"
        return f"No carrier service delivers these parcels to {country}: choose a service by hand."
    promise = ""
    if shipment.promised_date and not chosen.meets_promise:
        promise = f", after the promised {shipment.promised_date:%a %-d %b}: none arrives in time"
    reason = f"rate shopping: {chosen.price_amount}, arrives {chosen.delivery_date:%a %-d %b}{promise}"
    _service_set(order, shipment, chosen.service_id, actor, reason)
    return ""


# --- asking for labels ------------------------------------------------------------------------------


@dataclass
class _Requested:
    wanted: list[int]  # parcels of the request: pending, or already labelled or failed
    enqueue: list[int]  # of those, the ones a task must label
    skipped: list[dict]  # {"row", "column", "message"}, as a job reports problems


def labels_request(*, parcel_ids: Iterable[int], actor=None, job: bool | None = None) -> BackgroundJob | None:
    """Ask for labels of these parcels: each becomes pending and a worker creates it (after commit).

    Returns the background job following them when there are more than LABELS_JOB_THRESHOLD parcels
    (or `job=True`), else None. A shipment without a carrier service gets one by rate shopping.
    Parcels whose label exists are left as they are (a batch's merged PDF still includes them).
    Raises OrderError when none of the parcels can have a label, saying why.
    """
    ids = list(dict.fromkeys(int(pk) for pk in parcel_ids))
    if not ids:
        raise OrderError("Choose the parcels to label.")
    with transaction.atomic():
        requested = _request(ids, actor)
        return _start(requested, actor, job)


def shipments_labels_request(
    *, shipment_ids: Iterable[int], actor=None, job: bool | None = None
) -> BackgroundJob | None:
    """Labels for every parcel of these shipments; a shipment not packed yet gets one parcel holding
    all its units, at their weight. Otherwise as `labels_request`."""
    ids = list(dict.fromkeys(int(pk) for pk in shipment_ids))
    if not ids:
        raise OrderError("Choose the shipments to label.")
    with transaction.atomic():
        _orders, shipments = _lock_shipments(ids)
        unknown = sorted(set(ids) - {shipment.pk for shipment in shipments})
        if unknown:
            raise OrderError(f"There is no shipment {', '.join(map(str, unknown))}.")
        unpacked = [s for s in shipments if s.status == ShipmentStatus.READY and not s.is_pickup and not s.parcel_count]
        default_parcels_create(unpacked)
        position = {pk: index for index, pk in enumerate(ids)}
        parcels = Parcel.objects.filter(shipment_id__in=ids).values_list("pk", "shipment_id", "position")
        parcel_ids = [pk for pk, shipment_id, pos in sorted(parcels, key=lambda p: (position[p[1]], p[2]))]
        requested = _request(parcel_ids, actor, shipment_ids=ids)
        return _start(requested, actor, job)


def labels_batch_request(*, shipment_ids: Iterable[int], actor=None) -> BackgroundJob:
    """Labels for a batch of shipments (the fulfilment queue's "create labels"), followed by a job
    whose page shows the progress and then offers one PDF of all the labels to print."""
    return shipments_labels_request(shipment_ids=shipment_ids, actor=actor, job=True)


def _lock_shipments(shipment_ids) -> tuple[dict[int, Order], list[Shipment]]:
    """Lock the shipments' orders (by id), then the shipments (by order, then id), as every order
    service locks an order before its shipments; a few queries however many there are. Each shipment
    comes with its order, its service and carrier, and `parcel_count`."""
    order_ids = Shipment.objects.filter(pk__in=shipment_ids).values_list("order_id", flat=True)
    locked = Order.objects.select_for_update().filter(pk__in=order_ids).only("id", "number").order_by("pk")
    orders = {order.pk: order for order in locked}
    shipments = list(
        Shipment.objects.select_for_update(of=("self",))
        .select_related("service__carrier")
        .filter(pk__in=shipment_ids)
        .order_by("order_id", "pk")
    )
    counts = dict(
        Parcel.objects.filter(shipment__in=shipments)
        .values("shipment_id")
        .annotate(n=Count("pk"))
        .values_list("shipment_id", "n")
    )
    for shipment in shipments:
        shipment.order = orders[shipment.order_id]
        shipment.parcel_count = counts.get(shipment.pk, 0)
    return orders, shipments


def default_parcels_create(shipments: list[Shipment]) -> None:
    """One parcel for each shipment, holding all its units, at their weight (Product.weight_kg)."""
    if not shipments:
        return
    lines = ShipmentLine.objects.filter(shipment__in=shipments).select_related("order_line__product")
    by_shipment = defaultdict(list)
    for line in lines:
        by_shipment[line.shipment_id].append(line)
    parcels = Parcel.objects.bulk_create(
        Parcel(
            shipment=shipment,
            position=1,
            weight_grams=units_weight_grams(
                (line.quantity, line.order_line.product.weight_kg) for line in by_shipment[shipment.pk]
            ),
        )
        for shipment in shipments
    )
    ParcelItem.objects.bulk_create(
        ParcelItem(parcel=parcel, shipment_line=line, quantity=line.quantity)
        for parcel in parcels
        for line in by_shipment[parcel.shipment_id]
    )


def _request(ids: list[int], actor, shipment_ids: list[int] | None = None) -> _Requested:
    rows = dict(Parcel.objects.filter(pk__in=ids).values_list("pk", "shipment_id"))
    unknown = [pk for pk in ids if pk not in rows]
    if unknown:
        raise OrderError(f"There is no parcel {', '.join(map(str, unknown))}.")
    orders, shipments = _lock_shipments({*rows.values(), *(shipment_ids or [])})
    by_shipment = defaultdict(list)
    for parcel in Parcel.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        by_shipment[parcel.shipment_id].append(parcel)
    requested = _Requested(wanted=[], enqueue=[], skipped=[])
    notes_cleared = []
    for shipment in shipments:
        order, parcels = orders[shipment.order_id], by_shipment[shipment.pk]
        reason, failed_now = _no_label_reason(shipment), set()
        if not parcels:
            # A shipment asked for that has no parcel (a pick-up, one not ready to be packed).
            requested.skipped.append(_problem(shipment, None, reason or "nothing to label"))
            continue
        if not reason and shipment.service_id is None:
            reason = _service_by_rate_shopping(order, shipment, actor)
            if reason:
                # Shown where staff look: on the parcels, with a Retry button once a service is chosen.
                failing = [p for p in parcels if p.status == Parcel.Status.PACKED and p.label_status != Status.CREATED]
                _mark_failed(order, shipment, failing, reason)
                failed_now = {p.pk for p in failing}
        elif not reason and not adapter_for(shipment.service.carrier).creates_labels:
            reason = f"{shipment.service.carrier.name} makes no labels: type the tracking number it gave you"
        enqueued = len(requested.enqueue)
        for parcel in parcels:
            if parcel.status != Parcel.Status.PACKED:
                requested.skipped.append(_problem(shipment, parcel, "already shipped"))
            elif parcel.label_status == Status.CREATED or parcel.pk in failed_now:
                requested.wanted.append(parcel.pk)
            elif reason:
                requested.skipped.append(_problem(shipment, parcel, reason))
            else:
                requested.wanted.append(parcel.pk)
                requested.enqueue.append(parcel.pk)
        if len(requested.enqueue) > enqueued and shipment.queue_note.startswith(_LABEL_FAILED_NOTE):
            notes_cleared.append(shipment.pk)
    now = timezone.now()
    Parcel.objects.filter(pk__in=requested.enqueue).update(label_status=Status.PENDING, label_error="", updated_at=now)
    Shipment.objects.filter(pk__in=notes_cleared).update(queue_note="", updated_at=now)
    # Keep the order asked for (the merged PDF prints in it).
    rank = {pk: index for index, pk in enumerate(ids)}
    requested.wanted.sort(key=rank.__getitem__)
    requested.enqueue.sort(key=rank.__getitem__)
    return requested


def _no_label_reason(shipment: Shipment) -> str:
    if shipment.is_pickup:
        return "a pick-up needs no label"
    if shipment.status != ShipmentStatus.READY:
        return f"the shipment is {shipment.get_status_display().lower()}, not ready to ship"
    return ""


def _problem(shipment: Shipment, parcel: Parcel | None, message: str) -> dict:
    return {
        "row": f"{shipment.order.number}/{shipment.position}",
        "column": f"parcel {parcel.position}" if parcel else "",
        "message": message,
    }


def _start(requested: _Requested, actor, job: bool | None) -> BackgroundJob | None:
    if not requested.wanted:
        reasons = sorted({problem["message"] for problem in requested.skipped}) or ["nothing to label"]
        raise OrderError(f"No label to create: {'; '.join(reasons)}.")
    count = len(requested.wanted)
    if job is None:
        job = count > settings.LABELS_JOB_THRESHOLD
    background = None
    if job:
        background = job_create(
            kind=LABELS_JOB,
            title=f"Labels for {count} parcel{'s' if count != 1 else ''}",
            actor=actor,
            params={"parcel_ids": requested.wanted, "skipped": requested.skipped},
        )
        job_start(job_id=background.pk, total=count, message="Waiting for a worker")
        background.refresh_from_db()
    transaction.on_commit(partial(_enqueue, requested.enqueue, background.pk if background else None))
    return background


def _enqueue(parcel_ids: list[int], job_id: int | None) -> None:
    from orders.tasks import labels_batch_finish_task, parcel_label_task

    # One connection to the broker for all of them (a batch is hundreds).
    with parcel_label_task.app.producer_or_acquire() as producer:
        for parcel_id in parcel_ids:
            parcel_label_task.apply_async(args=[parcel_id], kwargs={"job_id": job_id}, producer=producer)
    if job_id is not None and not parcel_ids:
        labels_batch_finish_task.delay(job_id)


def _mark_failed(order: Order, shipment: Shipment, parcels: list[Parcel], reason: str) -> None:
    for parcel in parcels:
        parcel.label_status, parcel.label_error = Status.FAILED, reason
        parcel.save(update_fields=["label_status", "label_error", "updated_at"])
    if parcels:
        shipment.queue_note = f"{_LABEL_FAILED_NOTE}: {reason}"[:300]
        shipment.save(update_fields=["queue_note", "updated_at"])
        positions = ", ".join(str(p.position) for p in parcels)
        _event(order, "label", f"Shipment {shipment.position}, parcel {positions}: label failed: {reason}", None)


# --- the label task ---------------------------------------------------------------------------------


def parcel_label_create(*, parcel_id: int) -> Parcel | None:
    """Create the parcel's label if it is pending (the body of orders.tasks.parcel_label_task).

    Running it again for the same parcel changes nothing: the parcel row is locked and a label that
    exists is kept. Transient failures (TRANSIENT_ERRORS) are counted on the parcel and raised for the
    task to retry; a carrier's refusal marks the label failed at once.
    """
    try:
        with transaction.atomic(durable=True):
            parcel = (
                Parcel.objects.select_for_update(of=("self",))
                .select_related("shipment__order", "shipment__warehouse", "shipment__service__carrier")
                .filter(pk=parcel_id)
                .first()
            )
            if parcel is None or parcel.label_status != Status.PENDING or parcel.status != Parcel.Status.PACKED:
                # Labelled already (a repeated task), cancelled or shipped meanwhile: nothing to do.
                return parcel
            _create_label(parcel)
            return parcel
    except TRANSIENT_ERRORS as error:
        _attempt_failed(parcel_id, error)
        raise
    except CarrierError as error:
        parcel_label_fail(parcel_id=parcel_id, reason=str(error), count_attempt=True)
        return None


def _create_label(parcel: Parcel) -> None:
    shipment = parcel.shipment
    if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.READY):
        raise CarrierError(f"The shipment is {shipment.get_status_display().lower()}: it needs no label.")
    service = shipment.service
    if service is None:
        raise CarrierError("The shipment has no carrier service: choose one, then retry.")
    if not (service.is_active and service.carrier.is_active):
        raise CarrierError(f"{service} is no longer in use: choose another service, then retry.")
    request = LabelRequest(
        parcel_id=parcel.pk,
        idempotency_key=f"parcel-{parcel.pk}",
        reference=f"{shipment.order.number}/{shipment.position}/{parcel.position}",
        order_number=shipment.order.number,
        service=service,
        ship_from=Address.from_warehouse(shipment.warehouse),
        ship_to=Address.from_dict(shipment.ship_to or {}),
        weight_grams=parcel.weight_grams,
        package_type=parcel.package_type,
        package_label=parcel.get_package_type_display(),
        parcel_position=parcel.position,
        parcel_count=Parcel.objects.filter(shipment=shipment).count(),
        ship_date=next_working_day(timezone.localdate()),
    )
    label = adapter_for(service.carrier).create_label(request)
    _store_label_file(parcel, label.pdf)
    parcel.tracking_number = label.tracking_number
    parcel.service = service
    parcel.rate_amount = label.price_amount
    parcel.label_status, parcel.label_error = Status.CREATED, ""
    parcel.label_attempts += 1
    parcel.save(
        update_fields=["tracking_number", "service", "rate_amount", "label_status", "label_error", "label_attempts",
                       "label_file", "updated_at"]
    )  # fmt: skip


def _store_label_file(parcel: Parcel, pdf: bytes) -> None:
    """One file per parcel, named after it: a file left by an attempt that died before it committed is
    replaced, not kept beside the real one."""
    storage = parcel.label_file.storage
    name = parcel.label_file.field.generate_filename(parcel, f"parcel-{parcel.pk}.pdf")
    if storage.exists(name):
        storage.delete(name)
    parcel.label_file.name = storage.save(name, ContentFile(pdf))


def describe_error(error: BaseException) -> str:
    """A failure in words for staff."""
    if isinstance(error, CarrierError):
        return str(error)
    if isinstance(error, OperationalError):
        return "The database could not be reached or was busy"
    if isinstance(error, OSError):
        return f"The label file could not be stored ({error.strerror or error})"
    return f"Unexpected error ({type(error).__name__})"


def _attempt_failed(parcel_id: int, error: BaseException) -> None:
    """Count a failed attempt that will be retried, and say so where staff look."""
    try:
        Parcel.objects.filter(pk=parcel_id, label_status=Status.PENDING).update(
            label_attempts=F("label_attempts") + 1,
            label_error=f"{describe_error(error)}; trying again shortly.",
            updated_at=timezone.now(),
        )
    except DatabaseError:
        logger.warning("Could not record a failed label attempt of parcel %s", parcel_id, exc_info=True)


@transaction.atomic
def parcel_label_fail(*, parcel_id: int, reason: str, count_attempt: bool = False) -> Parcel | None:
    """The label cannot be made (a carrier's refusal, or retries exhausted): mark it failed with the
    reason, note it on the shipment for the fulfilment queue, and write the timeline."""
    shipment_id = Parcel.objects.filter(pk=parcel_id).values_list("shipment_id", flat=True).first()
    if shipment_id is None:
        return None
    order, shipment = _locked_shipment(shipment_id)
    parcel = Parcel.objects.select_for_update().get(pk=parcel_id)
    if parcel.label_status != Status.PENDING:
        return parcel
    if count_attempt:
        parcel.label_attempts += 1
        parcel.save(update_fields=["label_attempts"])
    _mark_failed(order, shipment, [parcel], reason[:500])
    return parcel


# --- batches ----------------------------------------------------------------------------------------


def labels_batch_progress(*, job_id: int) -> None:
    """Bring a batch's progress up to date (after each of its labels); once none is pending, have a
    worker merge the labels into one PDF."""
    job = BackgroundJob.objects.filter(pk=job_id, kind=LABELS_JOB).first()
    if job is None or job.is_finished:
        return
    ids = job.params.get("parcel_ids", [])
    counts = Parcel.objects.filter(pk__in=ids).aggregate(
        pending=Count("pk", filter=Q(label_status=Status.PENDING)),
        created=Count("pk", filter=Q(label_status=Status.CREATED)),
        failed=Count("pk", filter=Q(label_status=Status.FAILED)),
    )
    done = len(ids) - counts["pending"]
    message = f"{counts['created']} of {len(ids)} labels ready"
    if counts["failed"]:
        message += f", {counts['failed']} failed"
    job_progress(job_id=job_id, done=done, message=message)
    if not counts["pending"]:
        from orders.tasks import labels_batch_finish_task

        transaction.on_commit(partial(labels_batch_finish_task.delay, job_id))


def labels_batch_finish(*, job_id: int) -> BackgroundJob | None:
    """Merge the batch's labels into one PDF (in the order they were asked for) and finish its job:
    succeeded when every label was made, failed (with each failure, and the PDF of the others) if not.
    Does nothing while a label is pending or once the job has finished."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().filter(pk=job_id, kind=LABELS_JOB).first()
        if job is None or job.is_finished:
            return job
        ids = job.params.get("parcel_ids", [])
        parcels = Parcel.objects.filter(pk__in=ids).select_related("shipment__order")
        by_id = {parcel.pk: parcel for parcel in parcels}
        if any(parcel.label_status == Status.PENDING for parcel in by_id.values()):
            return job
        ordered = [by_id[pk] for pk in ids if pk in by_id]
        created = [p for p in ordered if p.label_status == Status.CREATED and p.label_file]
        errors = list(job.params.get("skipped", []))
        errors += [
            _problem(p.shipment, p, p.label_error or p.get_label_status_display()) for p in ordered if p not in created
        ]
        if created:
            job.output_file.save(f"labels-{job.pk}.pdf", ContentFile(merge_pdfs(p.label_file for p in created)))
        succeeded = len(created) == len(ids) and not errors
        message = f"{len(created)} label{'s' if len(created) != 1 else ''} ready to print"
        if not succeeded:
            message += f"; {len(errors)} not made (below): retry them from their orders"
        job_finish(
            job_id=job.pk,
            succeeded=succeeded,
            message=message,
            result={"created": len(created), "failed": len(errors), "parcel_ids": [p.pk for p in created]},
            errors=errors,
        )
        job.refresh_from_db()
        return job


def merge_pdfs(files) -> bytes:
    """One PDF of the pages of `files` (FieldFiles), in order."""
    writer = PdfWriter()
    for file in files:
        with file.open("rb") as handle:
            writer.append(PdfReader(io.BytesIO(handle.read())))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- cancelling, manual tracking --------------------------------------------------------------------


@transaction.atomic
def parcel_label_cancel(*, parcel_id: int, actor=None) -> Parcel:
    """Void the parcel's label (or its pending request), e.g. to ship it with another service."""
    order, shipment, parcel = _locked_parcel(parcel_id)
    if parcel.status != Parcel.Status.PACKED:
        raise OrderError(f"Parcel {parcel.position} has shipped; its label stays.")
    if parcel.label_status not in (Status.PENDING, Status.CREATED, Status.FAILED):
        raise OrderError(f"Parcel {parcel.position} has no label to cancel.")
    old = parcel.tracking_number
    if parcel.label_status == Status.CREATED and parcel.service_id:
        adapter_for(parcel.service.carrier).cancel_label(tracking_number=old)
    if parcel.label_file:
        transaction.on_commit(partial(parcel.label_file.storage.delete, parcel.label_file.name))
    parcel.tracking_number, parcel.label_file, parcel.rate_amount = "", "", None
    parcel.label_status, parcel.label_error = Status.CANCELLED, ""
    parcel.save(update_fields=["tracking_number", "label_file", "rate_amount", "label_status", "label_error",
                               "updated_at"])  # fmt: skip
    what = f"label {old}" if old else "label request"
    _event(order, "label", f"Shipment {shipment.position}, parcel {parcel.position}: {what} cancelled", actor)
    return parcel


@transaction.atomic
def parcel_tracking_set(*, parcel_id: int, tracking_number: str, actor=None) -> Parcel:
    """Record the tracking number a manual carrier gave for the parcel (staff type it)."""
    order, shipment, parcel = _locked_parcel(parcel_id)
    number = "".join(tracking_number.split())
    if not number:
        raise OrderError("Type the tracking number.")
    if len(number) > 60:
        raise OrderError("A tracking number has at most 60 characters.")
    if parcel.status != Parcel.Status.PACKED:
        raise OrderError(f"Parcel {parcel.position} has shipped; its tracking number stays.")
    service = shipment.service
    if service is None or service.carrier.kind != Carrier.Kind.MANUAL:
        raise OrderError(
            "Tracking numbers are typed for manual carriers only: choose one for the shipment first."
            if service is None or adapter_for(service.carrier).creates_labels is False
            else f"{service.carrier.name} gives the tracking number with its label: create the label."
        )
    other = (
        Parcel.objects.filter(tracking_number=number).exclude(pk=parcel.pk).select_related("shipment__order").first()
    )
    if other is not None:
        raise OrderError(f"Tracking number {number} is already on parcel {other.shipment}/{other.position}.")
    old = parcel.tracking_number or None
    parcel.tracking_number, parcel.service = number, service
    parcel.save(update_fields=["tracking_number", "service", "updated_at"])
    _event(
        order, "label", f"Shipment {shipment.position}, parcel {parcel.position}: tracking number {number}", actor,
        old=old, new=number,
    )  # fmt: skip
    return parcel


def _locked_parcel(parcel_id: int) -> tuple[Order, Shipment, Parcel]:
    shipment_id = Parcel.objects.filter(pk=parcel_id).values_list("shipment_id", flat=True).first()
    if shipment_id is None:
        raise OrderError(f"There is no parcel {parcel_id}.")
    order, shipment = _locked_shipment(shipment_id)
    parcel = Parcel.objects.select_for_update(of=("self",)).select_related("service__carrier").get(pk=parcel_id)
    return order, shipment, parcel


# --- shipping -----------------------------------------------------------------------------------------


@transaction.atomic
def parcel_ship(
    *, parcel_ids: Iterable[int], actor=None, at: datetime | None = None, notify_customer: bool = True
) -> list[Parcel]:
    """The carrier took these parcels. Each must have its tracking number (its label, for carriers
    that make them). When the last packed parcel of a shipment goes, the shipment ships
    (orders.services.shipping.shipment_ship) and its customer is e-mailed, once committed, the tracking
    numbers, unless `notify_customer` is False (an outside tool such as ShipStation e-mailed them).
    Parcels already shipped are left as they are (a repeat changes nothing). Returns the parcels
    shipped now."""
    at = at or timezone.now()
    ids = {int(pk) for pk in parcel_ids}
    if not ids:
        raise OrderError("Choose the parcels that left.")
    rows = set(Parcel.objects.filter(pk__in=ids).values_list("shipment__order_id", "shipment_id"))
    found = set(Parcel.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if found != ids:
        raise OrderError(f"There is no parcel {', '.join(map(str, sorted(ids - found)))}.")
    shipped = []
    for _order_id, shipment_id in sorted(rows):
        shipped += _ship_parcels(shipment_id, ids, actor, at, notify_customer)
    return shipped


def shipment_dispatch(*, shipment_id: int, actor=None, at: datetime | None = None) -> list[Parcel]:
    """Every packed parcel of the shipment leaves with its carrier (see `parcel_ship`)."""
    ids = list(Parcel.objects.filter(shipment_id=shipment_id, status=Parcel.Status.PACKED).values_list("pk", flat=True))
    if not ids:
        raise OrderError("The shipment has no packed parcel to send.")
    return parcel_ship(parcel_ids=ids, actor=actor, at=at)


def _ship_parcels(shipment_id: int, ids: set[int], actor, at: datetime, notify_customer: bool = True) -> list[Parcel]:
    order, shipment = _locked_shipment(shipment_id)
    parcels = list(
        Parcel.objects.select_for_update(of=("self",))
        .select_related("service__carrier")
        .filter(shipment=shipment)
        .order_by("pk")
    )
    chosen = sorted((p for p in parcels if p.pk in ids and p.status == Parcel.Status.PACKED), key=lambda p: p.position)
    if not chosen:
        return []
    if order.status not in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED):
        raise OrderError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot ship now.")
    if shipment.status != ShipmentStatus.READY:
        raise OrderError(f"Shipment {shipment.position} is {shipment.get_status_display().lower()}, not ready to ship.")
    service = CarrierService.objects.select_related("carrier").filter(pk=shipment.service_id).first()
    for parcel in chosen:
        # A parcel that an outside tool shipped with a carrier of its own (carrier_name, no service of
        # ours) keeps that carrier rather than taking the shipment's service.
        own = parcel.service or (None if parcel.carrier_name else service)
        _check_can_ship(shipment, parcel, own)
        parcel.service = own
        parcel.status, parcel.shipped_at = Parcel.Status.SHIPPED, at
        parcel.save(update_fields=["service", "status", "shipped_at", "updated_at"])
    if any(p.status == Parcel.Status.PACKED for p in parcels):
        trackings = ", ".join(f"{p.position}: {p.tracking_number}" for p in chosen)
        _event(order, "shipment", f"Shipment {shipment.position}: parcels handed to the carrier ({trackings})", actor)
        return chosen
    carrier = chosen[0].service.carrier.name if chosen[0].service_id else chosen[0].carrier_name
    shipment_ship(
        shipment_id=shipment.pk,
        carrier=carrier,
        tracking_number=_tracking_summary([p.tracking_number for p in sorted(parcels, key=lambda p: p.position)]),
        actor=actor,
        at=at,
    )
    if not shipment.is_pickup and notify_customer:
        from orders.tasks import shipment_confirmation_email_task

        transaction.on_commit(partial(shipment_confirmation_email_task.delay, shipment.pk))
    return chosen


def _check_can_ship(shipment: Shipment, parcel: Parcel, service: CarrierService | None) -> None:
    if shipment.is_pickup:
        return
    where = f"Parcel {parcel.position} of shipment {shipment.position}"
    if service is None and not parcel.carrier_name:
        raise OrderError(f"{where} has no carrier service: choose one first.")
    if service is not None and adapter_for(service.carrier).creates_labels and parcel.label_status != Status.CREATED:
        raise OrderError(f"{where}: {parcel.get_label_status_display().lower()}. It ships once its label is made.")
    # A parcel an outside tool shipped with a carrier of its own (carrier_name, no service of ours) may
    # have no tracking number: ShipStation's "mark as shipped" with carrier "Other" gives none.
    if not parcel.tracking_number and not (service is None and parcel.carrier_name):
        carrier = service.carrier.name if service is not None else parcel.carrier_name
        raise OrderError(f"{where} has no tracking number: type the one {carrier} gave you.")


def _tracking_url(parcel: Parcel) -> str:
    """The parcel's tracking link: its service's carrier's, or, for a carrier named by an outside tool
    (carrier_name), that of a carrier of ours with that code or name, if there is one."""
    carrier = parcel.service.carrier if parcel.service_id else None
    if carrier is None and parcel.carrier_name:
        name = parcel.carrier_name.strip()
        carrier = Carrier.objects.filter(Q(code__iexact=name) | Q(name__iexact=name)).order_by("pk").first()
    return adapter_for(carrier).tracking_link(parcel.tracking_number) if carrier is not None else ""


def _tracking_summary(numbers: list[str]) -> str:
    numbers = [n for n in numbers if n]
    joined = ", ".join(numbers)
    if len(joined) <= 60 or not numbers:
        return joined
    return f"{numbers[0]} (+{len(numbers) - 1})"


# --- the customer's e-mail --------------------------------------------------------------------------


def shipment_confirmation_send(*, shipment_id: int) -> bool:
    """E-mail the customer that the shipment left, with each parcel's carrier, tracking number and
    link (the body of orders.tasks.shipment_confirmation_email_task). Once per shipment: the e-mail is
    recorded on the timeline in the transaction that sends it. False when there is nothing to send
    (no address, a pick-up, not shipped, sent already)."""
    with transaction.atomic():
        order, shipment = _locked_shipment(shipment_id)
        if shipment.is_pickup or shipment.status not in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
            return False
        if not order.email:
            return False
        sent = OrderEvent.objects.filter(order=order, kind=CONFIRMATION_EVENT, new_value__shipment=shipment.position)
        if sent.exists():
            return False
        parcels = list(shipment.parcels.select_related("service__carrier").order_by("position"))
        context = {
            "order": order,
            "shipment": shipment,
            "parcels": [
                {
                    "position": parcel.position,
                    "carrier": parcel.service.carrier.name
                    if parcel.service_id
                    else parcel.carrier_name or shipment.carrier,
                    "service": parcel.service.name if parcel.service_id else parcel.service_name,
                    "tracking_number": parcel.tracking_number,
                    "tracking_url": _tracking_url(parcel),
                }
                for parcel in parcels
            ],
            "address": Address.from_dict(shipment.ship_to or {}),
        }
        subject = render_to_string("orders/emails/shipment_shipped_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("orders/emails/shipment_shipped.txt", context),
            to=[order.email],
        )
        message.attach_alternative(render_to_string("orders/emails/shipment_shipped.html", context), "text/html")
        what = f"Shipping confirmation of shipment {shipment.position} e-mailed to {order.email}"
        _event(order, CONFIRMATION_EVENT, what, None, new={"shipment": shipment.position})
        message.send()
        return True
