"""The demo's carriers, and the warehouse's side of the recent demo orders.

`carriers_seed` sets up what a British shop ships with: Royal Mail, DPD and Evri as table-rate
carriers (rates by weight band and zone, per service), a local courier whose tracking numbers staff
type, and store pick-up. `fulfil` takes a recent order as far as its story says, through the same
services the fulfilment screens call: on a pick list, picked, packed, labelled (a real label PDF),
a label that failed, handed to the carrier, and then what the carrier reported back through the
tracking service (in transit, out for delivery, a delivery problem, delivered).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from orders.fulfilment.packing import ParcelInput, parcels_pack
from orders.fulfilment.picking import pick_list_confirm, pick_list_create
from orders.models import Carrier, CarrierService, Parcel, RateBand, Shipment, ShipmentLine, ShippingZone
from orders.services import labels
from orders.services.tracking import tracking_events_record
from orders.shipping.carriers import TrackingUpdate

EUROPE = ["AT", "BE", "DE", "DK", "ES", "FR", "IE", "IT", "NL", "PL", "PT", "SE"]
WORLD = ["AU", "CA", "CH", "JP", "NO", "NZ", "US"]

# code, name, kind, tracking prefix, tracking page
CARRIERS = (
    ("royal-mail", "Royal Mail", Carrier.Kind.TABLE_RATE, "RM",
     "https://www.royalmail.com/track-your-item#/tracking-results/{tracking}"),
    ("dpd", "DPD", Carrier.Kind.TABLE_RATE, "DP", "https://track.dpdlocal.co.uk/parcels/{tracking}"),
    ("evri", "Evri", Carrier.Kind.TABLE_RATE, "EV", "https://www.evri.com/track/parcel/{tracking}"),
    ("courier", "Leeds City Couriers", Carrier.Kind.MANUAL, "", ""),
    ("pickup", "Store pick-up", Carrier.Kind.PICKUP, "", ""),
)  # fmt: skip
# carrier code, service code, name, working days in transit
SERVICES = (
    ("royal-mail", "tracked-48", "Tracked 48", 2),
    ("royal-mail", "tracked-24", "Tracked 24", 1),
    ("royal-mail", "international", "International Tracked", 5),
    ("dpd", "next-day", "Next Day", 1),
    ("dpd", "classic", "Classic Europe", 3),
    ("evri", "standard", "Standard 48", 3),
    ("courier", "same-day", "Same day", 0),
    ("pickup", "collect", "Collect in store", 0),
)
# carrier code, zone, countries
ZONES = (
    ("royal-mail", "UK", ["GB"]),
    ("royal-mail", "Europe", EUROPE),
    ("royal-mail", "World", WORLD),
    ("dpd", "UK", ["GB"]),
    ("dpd", "Europe", EUROPE),
    ("evri", "UK", ["GB"]),
)
# carrier code, service code, zone, up to grams, price, working days (None: the service's)
BANDS = (
    ("royal-mail", "tracked-48", "UK", 2000, "3.35", None),
    ("royal-mail", "tracked-48", "UK", 10000, "5.45", None),
    ("royal-mail", "tracked-48", "UK", 20000, "8.99", None),
    ("royal-mail", "tracked-24", "UK", 2000, "4.45", None),
    ("royal-mail", "tracked-24", "UK", 10000, "7.25", None),
    ("royal-mail", "tracked-24", "UK", 20000, "11.49", None),
    ("royal-mail", "international", "Europe", 2000, "12.50", None),
    ("royal-mail", "international", "Europe", 5000, "21.00", 6),
    ("royal-mail", "international", "World", 2000, "18.00", 7),
    ("royal-mail", "international", "World", 5000, "32.00", 9),
    ("dpd", "next-day", "UK", 10000, "6.95", None),
    ("dpd", "next-day", "UK", 30000, "9.95", None),
    ("dpd", "classic", "Europe", 10000, "14.50", None),
    ("dpd", "classic", "Europe", 30000, "24.00", 4),
    ("evri", "standard", "UK", 1000, "2.79", None),
    ("evri", "standard", "UK", 5000, "3.99", None),
    ("evri", "standard", "UK", 15000, "6.49", None),
)
# A parcel heavier than any carrier takes (30 kg): its label fails, for staff to split it.
TOO_HEAVY_GRAMS = 45_000

# What each fulfilment story reaches, in the order things happen.
PICK_LIST, PICKED, PACKED, LABELLED, SHIPPED = "pick_list", "picked", "packed", "labelled", "shipped"
STAGES = (PICK_LIST, PICKED, PACKED, LABELLED, SHIPPED)
STORY_STAGE = {
    "picking": PICK_LIST,
    "picked": PICKED,
    "packed": PACKED,
    "label_failed": PACKED,
    "labelled": LABELLED,
    "courier": SHIPPED,
    "shipped": SHIPPED,
    "in_transit": SHIPPED,
    "out_for_delivery": SHIPPED,
    "delivery_exception": SHIPPED,
    "partially_shipped": SHIPPED,
    "delivered": SHIPPED,
    "completed": SHIPPED,
}
# What the carrier reported afterwards: (status, hours after hand-over, location, description).
REPORTS = {
    "in_transit": (("in_transit", 3, "Leeds Mail Centre", "Item received at the mail centre"),),
    "out_for_delivery": (
        ("in_transit", 3, "Leeds Mail Centre", "Item received at the mail centre"),
        ("out_for_delivery", 14, "Local delivery office", "Out for delivery today"),
    ),
    "delivery_exception": (
        ("in_transit", 3, "Leeds Mail Centre", "Item received at the mail centre"),
        ("exception", 16, "Local delivery office", "Address could not be found; we will try again"),
    ),
    "delivered": (
        ("in_transit", 3, "Leeds Mail Centre", "Item received at the mail centre"),
        ("out_for_delivery", 14, "Local delivery office", "Out for delivery today"),
        ("delivered", 18, "Front door", "Delivered, signed for by the customer"),
    ),
}
REPORTS["completed"] = REPORTS["delivered"]


def carriers_seed() -> str:
    """The demo carriers, services, zones and rate bands; none when carriers exist already."""
    if Carrier.objects.exists():
        return "carriers: there are carriers already, none added"
    carriers = {
        code: Carrier.objects.create(code=code, name=name, kind=kind, tracking_prefix=prefix, tracking_url=url)
        for code, name, kind, prefix, url in CARRIERS
    }
    services = {
        (carrier, code): CarrierService.objects.create(
            carrier=carriers[carrier], code=code, name=name, transit_days=days
        )
        for carrier, code, name, days in SERVICES
    }
    zones = {
        (carrier, name): ShippingZone.objects.create(
            carrier=carriers[carrier], name=name, countries=countries, position=position
        )
        for position, (carrier, name, countries) in enumerate(ZONES)
    }
    RateBand.objects.bulk_create(
        RateBand(
            service=services[carrier, service],
            zone=zones[carrier, zone],
            max_weight_grams=grams,
            price_amount=Decimal(price),
            transit_days=days,
        )
        for carrier, service, zone, grams, price, days in BANDS
    )
    return f"carriers: {len(carriers)} carriers, {len(services)} services, {len(BANDS)} rate bands"


def fulfil(story: str, shipment_ids: list[int], *, packer, shipped_at: datetime, now: datetime) -> None:
    """Take the shipments as far as the story goes (see STORY_STAGE); stories not listed there are
    left in the fulfilment queue. Shipped parcels get the carrier's reports (REPORTS) up to `now`."""
    stage = STORY_STAGE.get(story)
    if stage is None or not shipment_ids:
        return
    reached = STAGES.index(stage)
    shipments = list(Shipment.objects.filter(pk__in=shipment_ids).order_by("pk"))
    warehouse_id = shipments[0].warehouse_id
    pick_list = pick_list_create(warehouse_id=warehouse_id, shipment_ids=shipment_ids, actor=packer)
    if reached == STAGES.index(PICK_LIST):
        return
    picks = {line.pk: (line.quantity, "") for line in pick_list.lines.all()}
    pick_list_confirm(pick_list_id=pick_list.pk, picks=picks, actor=packer)
    if reached == STAGES.index(PICKED):
        return
    for shipment in shipments:
        _pack(shipment.pk, too_heavy=story == "label_failed", packer=packer)
    if story == "label_failed":
        # Rate shopping finds no service for the parcel's weight: the label fails, with the reason.
        labels.shipments_labels_request(shipment_ids=shipment_ids, actor=packer, job=False)
        return
    if reached == STAGES.index(PACKED):
        return
    parcel_ids = _label(shipment_ids, courier=story == "courier", packer=packer)
    if reached == STAGES.index(LABELLED):
        return
    labels.parcel_ship(parcel_ids=parcel_ids, actor=packer, at=shipped_at)
    _report(story, parcel_ids, shipped_at, now)


def _pack(shipment_id: int, *, too_heavy: bool, packer) -> None:
    """Two or more units go in two parcels (the first unit alone), one unit in one."""
    lines = list(ShipmentLine.objects.filter(shipment_id=shipment_id).order_by("pk").values_list("pk", "quantity"))
    units = [line_id for line_id, quantity in lines for _ in range(quantity)]
    split = [units[:1], units[1:]] if len(units) > 1 and not too_heavy else [units]
    parcels = []
    for part in split:
        items: dict[int, int] = {}
        for line_id in part:
            items[line_id] = items.get(line_id, 0) + 1
        parcels.append(
            ParcelInput(
                items=items,
                weight_grams=TOO_HEAVY_GRAMS if too_heavy else None,
                package_type=Parcel.PackageType.PALLET if too_heavy else Parcel.PackageType.MEDIUM_BOX,
            )
        )
    parcels_pack(shipment_id=shipment_id, parcels=parcels, actor=packer)


def _label(shipment_ids: list[int], *, courier: bool, packer) -> list[int]:
    """Labels made here and now (what a worker does with the task; the queued task finds them made),
    or, for the local courier, the tracking numbers its driver wrote on the parcels."""
    parcel_ids = list(Parcel.objects.filter(shipment_id__in=shipment_ids).order_by("pk").values_list("pk", flat=True))
    if courier:
        service = CarrierService.objects.get(carrier__code="courier", code="same-day")
        for shipment_id in shipment_ids:
            labels.shipment_service_set(shipment_id=shipment_id, service_id=service.pk, actor=packer)
        for parcel_id in parcel_ids:
            labels.parcel_tracking_set(parcel_id=parcel_id, tracking_number=f"LCC-{parcel_id:07d}", actor=packer)
        return parcel_ids
    labels.shipments_labels_request(shipment_ids=shipment_ids, actor=packer, job=False)
    for parcel_id in parcel_ids:
        labels.parcel_label_create(parcel_id=parcel_id)
    return parcel_ids


def _report(story: str, parcel_ids: list[int], shipped_at: datetime, now: datetime) -> None:
    numbers = list(Parcel.objects.filter(pk__in=parcel_ids).order_by("pk").values_list("tracking_number", flat=True))
    updates = [
        TrackingUpdate(
            event_id=f"demo-{number}-{index}",
            tracking_number=number,
            status=status,
            occurred_at=min(shipped_at + timedelta(hours=hours), now - timedelta(minutes=1)),
            location=location,
            description=description,
        )
        for number in numbers
        for index, (status, hours, location, description) in enumerate(REPORTS.get(story, ()))
    ]
    if updates:
        tracking_events_record(updates=updates)
