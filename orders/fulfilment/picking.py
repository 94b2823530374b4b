"""Pick lists: a batch of queued shipments fetched from the bins in one walk, and what the picker
brought back.

Locks, in this order (the orders app's own, as shipping takes them: the order before its shipment):
the pick list, then the orders of its shipments by id, their shipments by id, their lines by id;
inventory's stock levels come last, inside inventory.services.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from backoffice.numbering import format_number, next_number
from inventory import services as inventory_services
from inventory.exceptions import InventoryError
from inventory.services import StockLine
from orders.fulfilment import selectors
from orders.fulfilment.exceptions import FulfilmentError, PickingInvalid
from orders.models import Order, OrderEvent, PickLine, PickList, Shipment, ShipmentLine
from orders.states import ShipmentStatus

SOURCE = "orders.picklist"
MAX_BATCH = 200
# Shipments whose units a confirmed pick still goes to: a held order keeps its reservation (and its
# picked units wait in the packing area); a cancelled or already shipped one takes none.
STILL_OPEN = (ShipmentStatus.READY, ShipmentStatus.PENDING)


@transaction.atomic
def pick_list_create(
    *,
    warehouse_id: int,
    shipment_ids=None,
    limit: int = 20,
    filters: selectors.QueueFilters | None = None,
    actor=None,
) -> PickList:
    """Put shipments of a warehouse's queue on a new pick list: the ones given, or else the next
    `limit` the queue offers (highest priority, then longest waiting; within `filters`). Its stops
    add up the units still to pick per product and bin (kits as their components), in bin walking order.

    Given shipments must all be in the queue with units to pick (FulfilmentError names each one that
    is not). A batch skips shipments someone else is changing at that moment (their rows are locked)
    and raises FulfilmentError when nothing is left to pick.
    """
    batch = shipment_ids is None
    if batch:
        if not 1 <= limit <= MAX_BATCH:
            raise FulfilmentError(f"A pick list takes 1 to {MAX_BATCH} shipments.")
        wanted = selectors.queue_next_ids(
            warehouse_id=warehouse_id, filters=filters or selectors.QueueFilters(), limit=limit
        )
    else:
        wanted = sorted({int(pk) for pk in shipment_ids})
        if len(wanted) > MAX_BATCH:
            raise FulfilmentError(f"A pick list takes at most {MAX_BATCH} shipments; choose fewer.")
    if not wanted:
        raise FulfilmentError("Choose the shipments to pick." if not batch else "No shipment is waiting to be picked.")
    orders = list(
        Order.objects.select_for_update(skip_locked=batch)
        .filter(pk__in=Shipment.objects.filter(pk__in=wanted).values("order_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locked = list(
        Shipment.objects.select_for_update()
        .filter(pk__in=wanted, order_id__in=orders)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Read again now that nobody can change them: another pick list may have taken some meanwhile.
    chosen = selectors.queue_pickable_ids(warehouse_id=warehouse_id, shipment_ids=locked)
    if not batch and chosen != set(wanted):
        raise FulfilmentError(
            "Not every shipment can be picked: " + "; ".join(_why_not(set(wanted) - chosen, warehouse_id))
        )
    if not chosen:
        raise FulfilmentError("No shipment is waiting to be picked.")
    needs = dict(
        ShipmentLine.objects.filter(shipment_id__in=chosen, picked_quantity__lt=F("quantity"))
        .values("order_line__product_id")
        .annotate(units=Sum(F("quantity") - F("picked_quantity")))
        .values_list("order_line__product_id", "units")
    )
    stops = selectors.pick_stops(warehouse_id=warehouse_id, needs=needs)
    now = timezone.now()
    pick_list = PickList.objects.create(
        number=format_number("PL", now.year, next_number(sequence="pick_list", year=now.year)),
        warehouse_id=warehouse_id,
        created_by=_user(actor),
    )
    pick_list.shipments.set(sorted(chosen))
    PickLine.objects.bulk_create(
        PickLine(
            pick_list=pick_list, sequence=index, product_id=stop.product_id, bin_id=stop.bin_id, quantity=stop.quantity
        )
        for index, stop in enumerate(stops, start=1)
    )
    shipments = Shipment.objects.filter(pk__in=chosen).order_by("order_id", "position")
    _events(
        [
            (shipment.order_id, f"Shipment {shipment.position} is on pick list {pick_list.number}")
            for shipment in shipments.only("order_id", "position")
        ],
        actor,
    )
    return pick_list


def _why_not(shipment_ids: set[int], warehouse_id: int) -> list[str]:
    """Why each of these shipments cannot go on a new pick list, in words."""
    reasons = []
    found = {s.pk: s for s in Shipment.objects.filter(pk__in=shipment_ids).select_related("order", "warehouse")}
    open_lists = dict(
        PickList.shipments.through.objects.filter(
            shipment_id__in=shipment_ids, picklist__status=PickList.Status.OPEN
        ).values_list("shipment_id", "picklist__number")
    )
    for pk in sorted(shipment_ids):
        shipment = found.get(pk)
        if shipment is None:
            reasons.append(f"there is no shipment {pk}")
        elif shipment.warehouse_id != warehouse_id:
            reasons.append(f"{shipment} ships from {shipment.warehouse.code}")
        elif shipment.status != ShipmentStatus.READY:
            reasons.append(f"{shipment} is {shipment.get_status_display().lower()}")
        elif pk in open_lists:
            reasons.append(f"{shipment} is on pick list {open_lists[pk]} already")
        elif shipment.lines.filter(reserved_quantity__lt=F("quantity")).exists():
            reasons.append(f"{shipment} still waits for stock")
        elif shipment.parcels.exists():
            reasons.append(f"{shipment} is packed already")
        else:
            reasons.append(f"{shipment} has nothing left to pick")
    return reasons


@dataclass
class PickOutcome:
    pick_list: PickList
    # Shipments not picked in full: back in the queue, with the reason in their queue note.
    short: list[Shipment] = field(default_factory=list)
    # Units picked that no shipment of the list needs any more (a shipment cancelled or shipped
    # meanwhile, or a kit that could not be completed): (SKU, bin code or "", units) to put back.
    put_back: list[tuple[str, str, int]] = field(default_factory=list)


@transaction.atomic
def pick_list_confirm(*, pick_list_id: int, picks: dict[int, tuple[int, str]], actor=None) -> PickOutcome:
    """Record what was picked for each stop of an open pick list: {pick line id: (units picked,
    reason when fewer than asked)}.

    The picked units leave their bins for the packing area (inventory's pick movements) and are
    counted on the shipment lines they go to (the most urgent shipment first; a kit counts once all
    its components are there). A shipment not picked in full goes back to the queue with the reason
    in its queue note and on its order's timeline. Raises PickingInvalid naming each stop whose entry
    is missing, above what was asked, or short without a reason, and FulfilmentError when the list
    is confirmed already or a bin holds fewer units than entered.
    """
    pick_list = PickList.objects.select_for_update().filter(pk=pick_list_id).first()
    if pick_list is None:
        raise FulfilmentError(f"There is no pick list {pick_list_id}.")
    if pick_list.status != PickList.Status.OPEN:
        raise FulfilmentError(f"Pick list {pick_list.number} was confirmed already.")
    stops = list(pick_list.lines.select_related("product", "bin").order_by("sequence"))
    entered = _checked(stops, picks)
    shipment_ids = list(pick_list.shipments.values_list("pk", flat=True))
    orders = Order.objects.select_for_update().filter(
        pk__in=Shipment.objects.filter(pk__in=shipment_ids).values("order_id")
    )
    list(orders.order_by("pk").values_list("pk", flat=True))
    shipments = list(Shipment.objects.select_for_update().filter(pk__in=shipment_ids).order_by("pk"))
    lines = list(
        ShipmentLine.objects.select_for_update(of=("self",))
        .filter(shipment_id__in=shipment_ids)
        .select_related("order_line")
        .order_by("pk")
    )
    picked_now, left = _share_out(shipments, lines, entered, stops)
    kept, put_back = _put_back(stops, entered, left)
    taken = [StockLine(stop.product_id, kept[stop.pk], stop.bin_id) for stop in stops if stop.bin_id and kept[stop.pk]]
    if taken:
        try:
            inventory_services.stock_pick(
                warehouse_id=pick_list.warehouse_id,
                lines=taken,
                actor=_user(actor),
                source_type=SOURCE,
                source_id=pick_list.pk,
            )
        except InventoryError as error:
            raise FulfilmentError(f"{error}. Count the bin again and enter what was really picked.") from error
    for stop in stops:
        reasons = [entered[stop.pk][1]] if entered[stop.pk][0] < stop.quantity else []
        if kept[stop.pk] < entered[stop.pk][0]:
            reasons.append(f"{entered[stop.pk][0] - kept[stop.pk]} put back: no shipment needs them")
        stop.picked_quantity, stop.short_reason = kept[stop.pk], "; ".join(reasons)[:200]
    PickLine.objects.bulk_update(stops, ["picked_quantity", "short_reason"])
    for line in lines:
        line.picked_quantity += picked_now.get(line.pk, 0)
    ShipmentLine.objects.bulk_update(lines, ["picked_quantity"])
    short = _follow_up(pick_list, shipments, lines, stops, entered, actor)
    pick_list.status, pick_list.completed_at = PickList.Status.DONE, timezone.now()
    pick_list.save(update_fields=["status", "completed_at"])
    return PickOutcome(pick_list=pick_list, short=short, put_back=put_back)


def _checked(stops: list[PickLine], picks: dict[int, tuple[int, str]]) -> dict[int, tuple[int, str]]:
    errors: dict[int, str] = {}
    entered: dict[int, tuple[int, str]] = {}
    unknown = set(picks) - {stop.pk for stop in stops}
    if unknown:
        raise FulfilmentError(f"Pick list lines {', '.join(map(str, sorted(unknown)))} are not on this list.")
    for stop in stops:
        where = f"{stop.product.sku} from {stop.bin.code if stop.bin else 'no bin'}"
        quantity, reason = picks.get(stop.pk, (None, ""))
        reason = (reason or "").strip()
        if not isinstance(quantity, int):
            errors[stop.pk] = f"{where}: enter how many were picked."
        elif quantity < 0:
            errors[stop.pk] = f"{where}: a quantity cannot be below zero."
        elif quantity > stop.quantity:
            errors[stop.pk] = f"{where}: {quantity} is more than the {stop.quantity} asked for; put the rest back."
        elif quantity < stop.quantity and not reason:
            errors[stop.pk] = f"{where}: {quantity} of {stop.quantity} picked; say why the rest is missing."
        else:
            entered[stop.pk] = (quantity, reason)
    if errors:
        raise PickingInvalid(errors)
    return entered


def _share_out(shipments, lines, entered, stops) -> tuple[dict[int, int], dict[int, int]]:
    """Give the picked units to the shipments' lines, most urgent shipment first, whole units only (a
    kit needs each of its components). Returns {shipment line id: units} and what is left per product."""
    left: dict[int, int] = defaultdict(int)
    for stop in stops:
        left[stop.product_id] += entered[stop.pk][0]
    parts = selectors.kit_parts({line.order_line.product_id for line in lines})
    by_shipment: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda line: (line.order_line.position, line.pk)):
        by_shipment[line.shipment_id].append(line)
    picked: dict[int, int] = {}
    for shipment in sorted(shipments, key=lambda s: (-s.priority, s.created_at, s.pk)):
        if shipment.status not in STILL_OPEN:
            continue
        for line in by_shipment[shipment.pk]:
            recipe = parts.get(line.order_line.product_id) or [(line.order_line.product_id, 1)]
            units = min([line.quantity - line.picked_quantity] + [left[part] // per for part, per in recipe])
            if units > 0:
                for part, per in recipe:
                    left[part] -= units * per
                picked[line.pk] = units
    return picked, left


def _put_back(stops, entered, left) -> tuple[dict[int, int], list[tuple[str, str, int]]]:
    """What stays picked per stop once the units nobody needs go back, taken from the last stops of
    their product (the picker is at the end of the walk); and the list of what goes back where."""
    kept = {stop.pk: entered[stop.pk][0] for stop in stops}
    put_back = []
    for stop in reversed(stops):
        extra = min(left.get(stop.product_id, 0), kept[stop.pk])
        if extra > 0:
            kept[stop.pk] -= extra
            left[stop.product_id] -= extra
            put_back.append((stop.product.sku, stop.bin.code if stop.bin else "", extra))
    return kept, list(reversed(put_back))


def _follow_up(pick_list, shipments, lines, stops, entered, actor) -> list[Shipment]:
    """Note on each shipment of the list (and its order's timeline) whether it is picked in full or
    goes back to the queue, and why. Returns those that go back."""
    parts = selectors.kit_parts({line.order_line.product_id for line in lines})
    reasons_by_product: dict[int, set[str]] = defaultdict(set)
    for stop in stops:
        if entered[stop.pk][0] < stop.quantity:
            reasons_by_product[stop.product_id].add(entered[stop.pk][1])
    by_shipment: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda line: (line.order_line.position, line.pk)):
        by_shipment[line.shipment_id].append(line)
    short, events = [], []
    for shipment in shipments:
        if shipment.status not in STILL_OPEN:
            continue
        missing = [line for line in by_shipment[shipment.pk] if line.picked_quantity < line.quantity]
        if missing:
            reasons = sorted(
                {
                    reason
                    for line in missing
                    for part, _ in parts.get(line.order_line.product_id) or [(line.order_line.product_id, 1)]
                    for reason in reasons_by_product[part]
                }
            )
            what = ", ".join(f"{line.order_line.sku} {line.picked_quantity} of {line.quantity}" for line in missing)
            note = f"Short pick on {pick_list.number}: {what}" + (f" ({'; '.join(reasons)})" if reasons else "")
            shipment.queue_note = note[:300]
            shipment.save(update_fields=["queue_note", "updated_at"])
            events.append((shipment.order_id, f"Shipment {shipment.position}: {note}; back in the fulfilment queue"))
            short.append(shipment)
        else:
            if shipment.queue_note:
                shipment.queue_note = ""
                shipment.save(update_fields=["queue_note", "updated_at"])
            events.append((shipment.order_id, f"Shipment {shipment.position} picked on {pick_list.number}"))
    _events(events, actor)
    return short


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _events(entries, actor=None) -> None:
    """Timeline rows {(order id, message)}, written together."""
    OrderEvent.objects.bulk_create(
        OrderEvent(order_id=order_id, kind="fulfilment", message=message[:300], actor=_user(actor))
        for order_id, message in entries
    )
