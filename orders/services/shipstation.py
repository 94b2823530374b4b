"""ShipStation's ship notices: a parcel that ShipStation shipped, recorded as ours.

ShipStation's Custom Store (orders/shipstation/, ../shared/specs/shipstation_custom_store.md) exports
each of our shipments as one of its orders (OrderID = the shipment's id) and, once it has made a label,
posts a ShipNotice. `shipstation_notice_apply` turns a parsed notice into one shipped parcel of that
shipment, holding the units the notice lists (all units left when it lists none), with ShipStation's
carrier, service and tracking number. When every unit of the shipment is then in shipped parcels, the
shipment ships through `orders.services.labels.parcel_ship` (stock leaves through inventory, the order
becomes partially shipped or shipped, the invoice is issued, and the customer is e-mailed unless the
notice says ShipStation did).

A notice without a tracking number (ShipStation's "mark as shipped", carrier "Other" and the like)
applies too: its parcel keeps ShipStation's carrier name, no service of ours and no tracking number.
The parcel left on the notice's ShipDate (its LabelCreateDate when that is the same day), kept between
the order's placing and now; now when the notice gives neither.

ShipStation retries a notice it did not see answered with 2xx, so a notice is idempotent: one whose
fingerprint (`notice_fingerprint`: the shipment, items, carrier, service and tracking number, not when
it was sent) is on a notice applied or reported before, or whose tracking number (and carrier) is
already on a parcel of the shipment, answers 200 and changes nothing. A notice with a new tracking
number for a shipment that has already shipped (ShipStation voided the label and shipped again) cannot
apply either, but it is not lost: it answers 200, its log row's outcome is "review", and the order's
timeline says which number ShipStation reported, once. Any other notice for a shipped shipment answers
200 and changes nothing. A notice that cannot apply now (the order on hold or cancelled, stock still
awaited, a tracking number used elsewhere) is refused with the reason and nothing of it is kept but
its log row: every authenticated notice, refused ones too, is written to ShipStationNotice.
"""

import hashlib
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from inventory.exceptions import InventoryError
from orders.exceptions import OrderError
from orders.models import Carrier, CarrierService, Parcel, ParcelItem, Shipment, ShipmentLine, ShipStationNotice
from orders.services.labels import parcel_ship
from orders.services.lifecycle import _event, locked_with_order
from orders.services.shipping import stock_awaited
from orders.shipping.carriers import adapter_for
from orders.states import OrderStatus, ShipmentStatus

Outcome = ShipStationNotice.Outcome
# What a log row keeps of a body (ShipStation's are a few kilobytes).
BODY_KEPT = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class NoticeItem:
    """An `Items/Item` of a ShipNotice: units of one of our shipment lines in this package."""

    line_item_id: str = ""
    sku: str = ""
    quantity: int = 0


@dataclass(frozen=True)
class ShipNoticeInput:
    """A ShipNotice as orders.shipstation.notices reads it (query parameters first, then the body)."""

    order_id: str = ""  # the body's OrderID: our shipment's id, as exported
    order_number: str = ""  # the OrderNumber exported: the order's number, or "<number>-<position>"
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    notify_customer: bool = True
    shipping_cost: Decimal | None = None
    shipped_at: datetime | None = None  # from ShipDate and LabelCreateDate, as read; None: unknown
    items: tuple[NoticeItem, ...] = field(default_factory=tuple)  # none: every unit left to ship


@dataclass(frozen=True)
class NoticeResult:
    outcome: str
    status_code: int
    message: str
    shipment_id: int | None = None
    parcel_id: int | None = None
    fingerprint: str = ""


class NoticeRefused(OrderError):
    """The notice cannot apply; `status_code` is the HTTP answer (400: the notice is wrong, 409: our
    order's state forbids it now)."""

    def __init__(self, message: str, status_code: int = 409):
        super().__init__(message)
        self.status_code = status_code


class _Overshipped(NoticeRefused):
    """The notice ships more units than the shipment has left to ship (they left in earlier parcels)."""


def shipstation_notice_apply(*, notice: ShipNoticeInput, params: dict, body: str) -> NoticeResult:
    """Record what ShipStation shipped (see the module's docstring) and log the notice.

    Never raises for a notice that cannot apply: the result says refused, with the reason and the
    HTTP status to answer, after the business change has been rolled back.
    """
    shipment_id, fingerprint = None, ""
    try:
        shipment_id = _shipment_for(notice)
        fingerprint = notice_fingerprint(notice, shipment_id)
        with transaction.atomic(durable=True):
            result = _apply(notice, shipment_id, fingerprint)
            _log(result, params, body)
            return result
    except NoticeRefused as refusal:
        result = NoticeResult(Outcome.REFUSED, refusal.status_code, str(refusal), shipment_id, None, fingerprint)
    except (OrderError, InventoryError) as error:
        # The shipment could not ship after all (a stock refusal, a state changed meanwhile).
        result = NoticeResult(Outcome.REFUSED, 409, str(error), shipment_id, None, fingerprint)
    except IntegrityError:
        # Two notices with one tracking number for two shipments at once: the unique constraint chose.
        message = f"Tracking number {notice.tracking_number} is already on another parcel."
        result = NoticeResult(Outcome.REFUSED, 409, message, shipment_id, None, fingerprint)
    _log(result, params, body)
    return result


def notice_fingerprint(notice: ShipNoticeInput, shipment_id: int) -> str:
    """What makes a notice the same notice when ShipStation sends it again: the shipment it names,
    its items, carrier, service and tracking number (SHA-256, hex). Nothing that changes with the
    retry (the time it is sent) is in it."""
    items = sorted(
        (item.line_item_id.strip(), item.sku.strip().upper(), item.quantity)
        for item in notice.items
        if item.quantity > 0
    )
    content = [
        shipment_id,
        items,
        notice.carrier.strip().lower(),
        notice.service.strip().lower(),
        notice.tracking_number,
    ]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def shipstation_notice_refuse(*, params: dict, body: str, message: str, status_code: int = 400) -> NoticeResult:
    """Log a notice refused before it could be read (malformed XML, a DTD, a body too large)."""
    result = NoticeResult(Outcome.REFUSED, status_code, message)
    _log(result, params, body)
    return result


def clean_text(value: str, limit: int | None = None) -> str:
    """Text from outside, fit for the database: control characters (NUL, which PostgreSQL refuses,
    among them) removed, trimmed, cut to `limit` characters."""
    text = _CONTROL.sub("", value or "").strip()
    return text[:limit] if limit else text


def _log(result: NoticeResult, params: dict, body: str) -> None:
    ShipStationNotice.objects.create(
        params={clean_text(str(k), 100): clean_text(str(v), 500) for k, v in list(params.items())[:50]},
        body=clean_text(body)[:BODY_KEPT],
        outcome=result.outcome,
        status_code=result.status_code,
        message=clean_text(result.message, 500),
        shipment_id=result.shipment_id,
        parcel_id=result.parcel_id,
        fingerprint=result.fingerprint,
    )


# --- which shipment -----------------------------------------------------------------------------------


def _shipment_for(notice: ShipNoticeInput) -> int:
    """The body's OrderID (our shipment's id) when it names one of our shipments, else the order number
    (the order's own when it has one shipment to send, or "<number>-<position>")."""
    if notice.order_id.isascii() and notice.order_id.isdigit() and len(notice.order_id) <= 18:
        found = Shipment.objects.filter(pk=int(notice.order_id), is_pickup=False).values_list("pk", flat=True).first()
        if found is not None:
            return found
    number = notice.order_number.strip().upper()
    if number:
        shipments = list(
            Shipment.objects.filter(order__number=number, is_pickup=False).order_by("position").values_list("pk")
        )
        if len(shipments) == 1:
            return shipments[0][0]
        if shipments:
            raise NoticeRefused(
                f"Order {number} has {len(shipments)} shipments: the notice must name one by its OrderID or as "
                f"{number}-<shipment>.",
                400,
            )
        match = re.fullmatch(r"(.+)-(\d{1,4})", number)
        if match:
            found = (
                Shipment.objects.filter(order__number=match[1], position=int(match[2]), is_pickup=False)
                .values_list("pk", flat=True)
                .first()
            )
            if found is not None:
                return found
    raise NoticeRefused(
        f"No shipment of ours matches OrderID {notice.order_id!r} or order number {notice.order_number!r}.", 400
    )


# --- applying a notice ----------------------------------------------------------------------------------


def _apply(notice: ShipNoticeInput, shipment_id: int, fingerprint: str) -> NoticeResult:
    order, shipment = locked_with_order(Shipment, shipment_id, "shipment")
    # Under the shipment's lock: a retry sent while the first is being answered waits and finds it.
    earlier = (
        ShipStationNotice.objects.filter(
            shipment=shipment, fingerprint=fingerprint, outcome__in=(Outcome.APPLIED, Outcome.REVIEW)
        )
        .order_by("pk")
        .first()
    )
    if earlier is not None:
        message = f"Already recorded: {earlier.message}"
        return NoticeResult(Outcome.DUPLICATE, 200, message, shipment.pk, earlier.parcel_id, fingerprint)
    existing = None
    if notice.tracking_number:
        existing = (
            Parcel.objects.select_related("service__carrier", "shipment__order")
            .filter(tracking_number=notice.tracking_number)
            .first()
        )
    if existing is not None and not (existing.shipment_id == shipment.pk and existing.status == Parcel.Status.PACKED):
        return _already(existing, shipment, notice, fingerprint)
    if shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
        if notice.tracking_number:
            return _reshipped(order, shipment, notice, fingerprint)
        message = f"Shipment {shipment} has already shipped: nothing changed."
        return NoticeResult(Outcome.DUPLICATE, 200, message, shipment.pk, fingerprint=fingerprint)
    _check_can_ship(order, shipment, notice)

    lines = list(ShipmentLine.objects.filter(shipment=shipment).select_related("order_line__product").order_by("pk"))
    waiting = stock_awaited(shipment, lines)
    if waiting:
        raise NoticeRefused(waiting)
    parcels = list(Parcel.objects.select_for_update().filter(shipment=shipment).order_by("position"))
    contents = defaultdict(dict)  # parcel id -> {line id: quantity}
    for item in ParcelItem.objects.filter(parcel__in=parcels):
        contents[item.parcel_id][item.shipment_line_id] = item.quantity
    shipped = defaultdict(int)
    for parcel in parcels:
        if parcel.status != Parcel.Status.PACKED:
            for line_id, quantity in contents[parcel.pk].items():
                shipped[line_id] += quantity
    if existing is not None:
        # Packed here with this tracking number (a manual carrier's, typed by staff): it is the box
        # ShipStation says left, whatever items the notice lists.
        parcel, wanted = existing, dict(contents[existing.pk])
    else:
        left = {line.pk: line.quantity - shipped[line.pk] for line in lines}
        try:
            wanted = _units_wanted(notice, shipment, lines, left)
        except _Overshipped as error:
            # Retrying cannot make the units left to ship: staff look at it instead.
            return _for_review(order, shipment, notice, fingerprint, f"ShipStation: {error}")
        packed = [p for p in parcels if p.status == Parcel.Status.PACKED]
        parcel = _parcel_for(shipment, lines, packed, contents, wanted, notice)
    complete = all(shipped[line.pk] + wanted.get(line.pk, 0) == line.quantity for line in lines)
    return _ship(order, shipment, parcel, complete, notice, fingerprint)


def _reshipped(order, shipment: Shipment, notice: ShipNoticeInput, fingerprint: str) -> NoticeResult:
    """A new tracking number for a shipment that has shipped (ShipStation voided its label and shipped
    again, say): nothing here can take it (see `_for_review`)."""
    had = shipment.tracking_number or "no tracking number"
    what = (
        f"ShipStation reported tracking number {notice.tracking_number} for shipment {shipment.position}, "
        f"which had already shipped with {had}"
    )
    return _for_review(order, shipment, notice, fingerprint, what)


def _for_review(order, shipment: Shipment, notice: ShipNoticeInput, fingerprint: str, what: str) -> NoticeResult:
    """A notice that cannot apply and that no retry will change (a re-ship, units already shipped):
    staff are told on the order's timeline, once (a retry finds this row by its fingerprint), and the
    log row is marked for review. The answer is 200, so that ShipStation stops retrying."""
    carrier = " ".join(filter(None, (notice.carrier, notice.service)))
    new = {"shipment": shipment.position, "tracking_number": notice.tracking_number, "carrier": carrier}
    _event(order, "shipstation", f"{what} ({carrier})" if carrier else what, None, new=new)
    message = f"{what}: not applied, shown to staff on the order's timeline."
    return NoticeResult(Outcome.REVIEW, 200, message, shipment.pk, fingerprint=fingerprint)


def _already(existing: Parcel, shipment: Shipment, notice: ShipNoticeInput, fingerprint: str) -> NoticeResult:
    """A notice whose tracking number is on a parcel already: a retry (200), or a conflict (409)."""
    if existing.shipment_id != shipment.pk:
        raise NoticeRefused(
            f"Tracking number {existing.tracking_number} is already on parcel {existing.shipment}/{existing.position} "
            f"of another shipment."
        )
    names = {existing.carrier_name.lower()}
    if existing.service_id:
        names |= {existing.service.carrier.code.lower(), existing.service.carrier.name.lower()}
    if notice.carrier.lower() not in names:
        raise NoticeRefused(
            f"Tracking number {existing.tracking_number} is already on parcel {existing.position} of shipment "
            f"{shipment} with another carrier than {notice.carrier}."
        )
    message = f"Already recorded: parcel {existing.position} of shipment {shipment} ({existing.tracking_number})."
    return NoticeResult(Outcome.DUPLICATE, 200, message, shipment.pk, existing.pk, fingerprint)


def _check_can_ship(order, shipment: Shipment, notice: ShipNoticeInput) -> None:
    if order.status == OrderStatus.CANCELLED or shipment.status == ShipmentStatus.CANCELLED:
        raise NoticeRefused(f"Order {order.number} is cancelled: shipment {shipment} must not ship.")
    if order.status == OrderStatus.ON_HOLD:
        reason = f" ({order.get_hold_reason_display().lower()})" if order.hold_reason else ""
        raise NoticeRefused(f"Order {order.number} is on hold{reason}: release it before it ships.")
    if order.status not in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED):
        raise NoticeRefused(f"Order {order.number} is {order.get_status_display().lower()}; it cannot ship now.")
    if shipment.status != ShipmentStatus.READY:
        raise NoticeRefused(f"Shipment {shipment} is {shipment.get_status_display().lower()}, not ready to ship.")
    if len(notice.tracking_number) > 60:
        raise NoticeRefused("The tracking number is longer than 60 characters.", 400)
    if not notice.carrier:
        raise NoticeRefused("The notice names no carrier.", 400)


def _units_wanted(notice: ShipNoticeInput, shipment: Shipment, lines: list[ShipmentLine], left: dict) -> dict:
    """{shipment line id: units} in this package: the notice's items (by LineItemID, which echoes our
    shipment line's id, else by SKU), or every unit left when it lists none."""
    if not notice.items:
        wanted = {line_id: quantity for line_id, quantity in left.items() if quantity > 0}
    else:
        by_id = {str(line.pk): line for line in lines}
        by_sku = defaultdict(list)
        for line in lines:
            by_sku[line.order_line.sku.upper()].append(line)
        wanted = defaultdict(int)
        for item in notice.items:
            if item.quantity <= 0:
                continue
            line = by_id.get(item.line_item_id.strip())
            if line is not None:
                wanted[line.pk] += item.quantity
                continue
            candidates = by_sku.get(item.sku.strip().upper())
            if not candidates:
                if not item.sku.strip():
                    continue  # an adjustment (a discount line) echoed back: no goods
                raise NoticeRefused(f"Item {item.sku} is not in shipment {shipment}.", 400)
            # The same SKU on two lines: fill them in turn.
            quantity = item.quantity
            for candidate in candidates:
                take = min(quantity, left[candidate.pk] - wanted[candidate.pk])
                if take > 0:
                    wanted[candidate.pk] += take
                    quantity -= take
            if quantity:
                wanted[candidates[-1].pk] += quantity  # too many: said below
    for line in lines:
        if wanted.get(line.pk, 0) > left[line.pk]:
            raise _Overshipped(
                f"the notice ships {wanted[line.pk]} x {line.order_line.sku} but {left[line.pk]} of shipment "
                f"{shipment} are left to ship"
            )
    wanted = {line_id: quantity for line_id, quantity in wanted.items() if quantity > 0}
    if not wanted:
        raise _Overshipped(f"the notice ships no unit that is left to ship in shipment {shipment}")
    return wanted


def _parcel_for(shipment, lines, packed: list[Parcel], contents: dict, wanted: dict, notice) -> Parcel:
    """The parcel the units leave in: one packed here (the pack station) without a label that holds
    exactly them, else a new one. A new parcel takes units not in any parcel first, then units of
    parcels packed here without a label (a parcel left empty goes); parcels with a label or tracking
    number of their own stay as they are, and a notice that needs their units is refused. Without a
    tracking number the parcel takes no service of ours, only ShipStation's names: ours would want one."""
    service = _service_for(notice) if notice.tracking_number else None
    fields = {
        "service": service,
        "carrier_name": notice.carrier[:60],
        "service_name": notice.service[:100],
        "tracking_number": notice.tracking_number,
        "rate_amount": notice.shipping_cost,
        "label_status": Parcel.LabelStatus.CREATED
        if service is not None and adapter_for(service.carrier).creates_labels
        else Parcel.LabelStatus.NONE,
        "label_error": "",
    }
    free = [p for p in packed if not p.tracking_number and p.label_status not in _LABELLED]
    for parcel in free:
        if contents[parcel.pk] == wanted:
            for name, value in fields.items():
                setattr(parcel, name, value)
            parcel.save(update_fields=[*fields, "updated_at"])
            return parcel
    _take_from_packed(shipment, lines, packed, free, contents, wanted)
    by_id = {line.pk: line for line in lines}
    kilograms = sum((by_id[pk].order_line.product.weight_kg * q for pk, q in wanted.items()), Decimal(0))
    positions = Parcel.objects.filter(shipment=shipment).values_list("position", flat=True)
    parcel = Parcel.objects.create(
        shipment=shipment,
        position=max(positions, default=0) + 1,
        weight_grams=max(1, math.ceil(kilograms * 1000)),
        **fields,
    )
    ParcelItem.objects.bulk_create(
        ParcelItem(parcel=parcel, shipment_line_id=line_id, quantity=quantity) for line_id, quantity in wanted.items()
    )
    return parcel


def _take_from_packed(shipment, lines, packed: list[Parcel], free: list[Parcel], contents: dict, wanted: dict) -> None:
    """Take the wanted units that are in no parcel from there, the rest out of the parcels in `free`
    (the last packed first)."""
    unparcelled = {line.pk: line.quantity for line in lines}
    for items in list(contents.values()):  # every parcel's, shipped ones too
        for line_id, quantity in items.items():
            unparcelled[line_id] -= quantity
    for line_id, quantity in wanted.items():
        need = quantity - min(quantity, max(0, unparcelled[line_id]))
        for parcel in reversed(free):
            inside = contents[parcel.pk].get(line_id, 0)
            take = min(need, inside)
            if take:
                contents[parcel.pk][line_id] = inside - take
                need -= take
                items = ParcelItem.objects.filter(parcel=parcel, shipment_line_id=line_id)
                if inside > take:
                    items.update(quantity=inside - take)
                else:
                    items.delete()
        if need > 0:
            labelled = next((p for p in packed if p not in free and contents[p.pk].get(line_id)), None)
            where = f"Parcel {labelled.position} of shipment {shipment}" if labelled else f"Shipment {shipment}"
            raise NoticeRefused(
                f"{where} is packed with a label or tracking number of its own: cancel its label, or ship it "
                f"from the order page."
            )
    for parcel in free:
        if not any(contents[parcel.pk].values()):
            parcel.delete()


_LABELLED = (Parcel.LabelStatus.PENDING, Parcel.LabelStatus.CREATED)


def _service_for(notice: ShipNoticeInput) -> CarrierService | None:
    """Our carrier service for ShipStation's carrier and service, matched by code or name without regard
    to case (the carrier's only service when the notice names none); None when we have no such service."""
    carrier = (
        Carrier.objects.filter(is_active=True)
        .exclude(kind=Carrier.Kind.PICKUP)
        .filter(Q(code__iexact=notice.carrier) | Q(name__iexact=notice.carrier))
        .order_by("pk")
        .first()
    )
    if carrier is None:
        return None
    services = CarrierService.objects.select_related("carrier").filter(carrier=carrier, is_active=True)
    if notice.service:
        return services.filter(Q(code__iexact=notice.service) | Q(name__iexact=notice.service)).order_by("pk").first()
    only = list(services[:2])
    return only[0] if len(only) == 1 else None


def _ship(
    order, shipment: Shipment, parcel: Parcel, complete: bool, notice: ShipNoticeInput, fingerprint: str
) -> NoticeResult:
    at = _shipped_at(order, notice)
    service = str(parcel.service) if parcel.service_id else " ".join(filter(None, (notice.carrier, notice.service)))
    said = f"{service}, " + (f"tracking {parcel.tracking_number}" if parcel.tracking_number else "no tracking number")
    quiet = "" if notice.notify_customer else "; ShipStation e-mailed the customer"
    what = f"Shipment {shipment.position}: parcel {parcel.position} shipped by ShipStation ({said}){quiet}"
    _event(order, "shipstation", what, None, new={"parcel": parcel.position, "tracking_number": parcel.tracking_number})
    if complete:
        # The last units: the shipment ships as when staff hand over its last parcel.
        parcel_ship(parcel_ids=[parcel.pk], at=at, notify_customer=notice.notify_customer)
        message = f"Shipment {shipment} shipped: parcel {parcel.position} ({said})."
    else:
        parcel.status, parcel.shipped_at = Parcel.Status.SHIPPED, at
        parcel.save(update_fields=["status", "shipped_at", "updated_at"])
        message = f"Parcel {parcel.position} of shipment {shipment} shipped ({said}); more units are to come."
    return NoticeResult(Outcome.APPLIED, 200, message, shipment.pk, parcel.pk, fingerprint)


def _shipped_at(order, notice: ShipNoticeInput) -> datetime:
    """When the parcel left: the notice's date, but never in the future and never before the order was
    placed (a wrong clock or a wrong date at ShipStation); now when the notice has none."""
    now = timezone.now()
    if notice.shipped_at is None:
        return now
    placed = order.placed_at or order.created_at
    return max(min(notice.shipped_at, now), placed)


def shipstation_notices_purge(*, now: datetime | None = None) -> int:
    """Delete the log rows of notices that changed nothing (duplicates and refusals: ShipStation retries
    a refused notice hourly) older than SHIPSTATION_NOTICE_RETENTION_DAYS; returns how many went. Applied
    notices and those kept for review stay: they are the record of what ShipStation shipped."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SHIPSTATION_NOTICE_RETENTION_DAYS)
    stale = ShipStationNotice.objects.filter(received_at__lt=cutoff, outcome__in=(Outcome.DUPLICATE, Outcome.REFUSED))
    deleted, _ = stale.delete()
    return deleted
