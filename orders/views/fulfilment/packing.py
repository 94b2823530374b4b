"""The pack station: scan a pick list, order or shipment to start; scan each item to check it, split
into parcels, weigh, pack. The packer's draft of the parcels stays in their session until packed."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from backoffice.htmx import page_or_partial
from orders.exceptions import OrderError
from orders.fulfilment import pack_selectors, packing, scanning
from orders.fulfilment.forms import PackCodeForm
from orders.models import Parcel, PickList, Shipment
from orders.states import ShipmentStatus
from orders.views.fulfilment import ADD_PARCEL, fulfilment_permission, pick_list_from, shipment_or_404

STATION = "orders/fulfilment/pack_shipment.html"


def _draft_key(shipment_id: int) -> str:
    return f"pack-draft:{shipment_id}"


@require_GET
@fulfilment_permission()
def pack_start(request):
    """Scan (or type) a pick list, an order or a shipment: one shipment to pack opens at once."""
    form = PackCodeForm(request.GET if "code" in request.GET else None)
    target = pack_selectors.pack_target(code=form.cleaned_data["code"]) if form.is_valid() else None
    if target is not None and target.shipments:
        # One shipment to pack opens at once (an order's one shipment, packed or not, too).
        only = target.to_pack or (target.shipments if target.order else [])
        if len(only) == 1:
            return redirect(_pack_url(only[0].pk, target.pick_list))
    return render(request, "orders/fulfilment/pack_start.html", {"form": form, "target": target})


def _pack_url(shipment_id: int, pick_list: PickList | None) -> str:
    url = reverse("orders:fulfilment:pack-shipment", args=[shipment_id])
    return f"{url}?list={pick_list.number}" if pick_list else url


@require_GET
@fulfilment_permission()
def pack_shipment(request, shipment_id):
    shipment = shipment_or_404(shipment_id)
    if shipment.parcels.all() or shipment.status != ShipmentStatus.READY:
        return _packed(request, shipment)
    draft = scanning.PackDraft.from_data(request.session.get(_draft_key(shipment.pk)) or {})
    return _station(request, shipment, pack_selectors.pack_lines(shipment_id=shipment.pk), draft)


def _station(request, shipment, lines, draft, result: scanning.ScanResult | None = None, *, partial: bool = False):
    context = {
        "shipment": shipment,
        "pick_list": pick_list_from(request),
        "rows": scanning.station_lines(draft, lines),
        "parcels": scanning.station_parcels(draft, lines),
        "missing": scanning.still_to_scan(draft, lines),
        "pick_note": _pick_note(shipment, lines),
        "package_types": Parcel.PackageType.choices,
        "result": result,
    }
    template = page_or_partial(request, STATION, "station") if partial else STATION
    return render(request, template, context)


def _pick_note(shipment: Shipment, lines) -> str:
    """What the packer should know of the shipment's picking, if anything."""
    latest = next(iter(shipment.pick_lists.all()), None)
    if latest is None:
        return ""
    if latest.status == PickList.Status.OPEN:
        return f"It is on pick list {latest.number}, not confirmed yet: confirm what was picked first."
    missing = [
        f"{line.quantity - line.picked_quantity} x {line.sku}" for line in lines if line.picked_quantity < line.quantity
    ]
    if not missing:
        return ""
    fetch = ", ".join(missing)
    return f"Not picked in full on {latest.number}: fetch {fetch} from the bins (they leave them when it ships)."


def _packed(request, shipment):
    pick_list = pick_list_from(request)
    context = {
        "shipment": shipment,
        "state": pack_selectors.shipping_state(shipment=shipment),
        "pick_list": pick_list,
        "next_shipments": _still_to_pack(pick_list, shipment) if pick_list else [],
        "form": PackCodeForm(),
    }
    return render(request, "orders/fulfilment/pack_done.html", context)


def _still_to_pack(pick_list: PickList, shipment: Shipment) -> list[Shipment]:
    return [s for s in pack_selectors.pack_target(code=pick_list.number).to_pack if s.pk != shipment.pk]


@require_POST
@fulfilment_permission(ADD_PARCEL)
def pack_scan(request, shipment_id):
    """One step at the station: a scan, taking a unit out, a new or removed parcel, starting again."""
    shipment = shipment_or_404(shipment_id)
    if shipment.parcels.all() or shipment.status != ShipmentStatus.READY:
        return HttpResponseClientRedirect(request.path) if request.htmx else redirect(_pack_url(shipment.pk, None))
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    draft = scanning.PackDraft.from_data(request.session.get(_draft_key(shipment.pk)) or {})
    scanning.read_parcel_fields(draft, request.POST)
    result = _step(request.POST, draft, lines)
    request.session[_draft_key(shipment.pk)] = draft.as_data()
    return _station(request, shipment, lines, draft, result, partial=True)


def _step(data, draft: scanning.PackDraft, lines) -> scanning.ScanResult | None:
    """What the button pressed asks (a scan when none: Enter in the scan field)."""
    action = data.get("op", "scan")
    if action == "reset":
        draft.parcels = scanning.PackDraft().parcels
        return scanning.ScanResult(True, "Started again: every parcel is empty.")
    if action == "new-parcel":
        return scanning.new_parcel(draft, lines)
    if "take-out" in data:
        index, _, line_id = data["take-out"].partition(":")
        if index.isdigit() and line_id.isdigit():
            return scanning.remove_one(draft, lines, int(index), int(line_id))
        return scanning.ScanResult(False, "There is nothing like that to take out.")
    if "drop" in data:
        return scanning.drop_parcel(draft, int(data["drop"]) if data["drop"].isdigit() else -1)
    if not data.get("code", "").strip():
        # Enter in a weight field: the parcel's details are kept, nothing is scanned.
        return None
    return scanning.scan(draft, lines, data["code"], identify=lambda code: pack_selectors.product_by_code(code=code))


@require_POST
@fulfilment_permission(ADD_PARCEL)
def pack_submit(request, shipment_id):
    """Pack the shipment as scanned: parcels_pack checks every unit again."""
    shipment = shipment_or_404(shipment_id)
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    draft = scanning.PackDraft.from_data(request.session.get(_draft_key(shipment.pk)) or {})
    scanning.read_parcel_fields(draft, request.POST)
    request.session[_draft_key(shipment.pk)] = draft.as_data()
    missing = scanning.still_to_scan(draft, lines)
    if missing:
        result = scanning.ScanResult(False, f"Not packed: still to scan {', '.join(missing)}.")
        return _station(request, shipment, lines, draft, result, partial=True)
    try:
        packing.parcels_pack(shipment_id=shipment.pk, parcels=scanning.parcel_inputs(draft, lines), actor=request.user)
    except OrderError as error:
        return _station(request, shipment, lines, draft, scanning.ScanResult(False, str(error)), partial=True)
    request.session.pop(_draft_key(shipment.pk), None)
    count = len(draft.parcels)
    messages.success(
        request, f"{shipment.order.number}/{shipment.position} packed in {count} parcel{'s' if count != 1 else ''}."
    )
    url = _pack_url(shipment.pk, pick_list_from(request))
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
