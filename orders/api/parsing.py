"""API requests made into the inputs of services and selectors: POST /orders bodies, GET /stock queries,
POST /tracking-events bodies.

An order body is checked against the OpenAPI document's schema (types, required and unknown fields,
lengths, enums), then for what a schema cannot say (real ISO country codes, e-mail addresses, phone
numbers and UK postcodes, by crm's normalisers as for every customer; a delivery address or a pick-up
warehouse, never both); then the API adds what the storefront does not send: the shipping method's
charge and the customer found by e-mail address. Stock, SKUs, coupons, pick-up warehouses and the rules
of payment are the service's to check; its errors come back with field paths too.
"""

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backoffice.api.http import invalid
from backoffice.api.schema import ROOT, child_path, validate
from crm.exceptions import CrmError
from crm.normalise import default_region, normalise_country, normalise_email, normalise_phone, normalise_postal_code
from orders.api.openapi import MAX_TRACKING_EVENTS, PICKUP, openapi_document
from orders.api.selectors import ChangeCursor, change_cursor_parse, customer_id_for_email
from orders.models import Carrier, TrackingEvent
from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput
from orders.shipping.carriers import CarrierAdapter, CarrierError, TrackingUpdate, adapter_for
from orders.shipping.carriers.base import TRACKING_STATUSES
from orders.states import PaymentMethod

STOCK_PAGE_SIZE = 100
MAX_STOCK_PAGE_SIZE = 500
MAX_SKUS = 100
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")
# order_place names fields after its own input; its one shipment here is the body's shipping address
# or pick-up warehouse.
_SERVICE_PATHS = (
    ("shipments[0].ship_to", "shipping_address"),
    ("shipments[0].pickup_warehouse", "pickup_warehouse"),
    ("shipments[0]", "shipping_address"),
)


def parse_order(payload) -> OrderInput:
    """The order_place input for a POST /orders body; raises ApiError 400 naming every bad field."""
    document = openapi_document()
    errors = validate(payload, document["components"]["schemas"]["OrderCreate"], document=document)
    if errors:
        raise invalid(errors)
    shipment = _shipment(payload, errors)
    billing = _address(payload["billing_address"], "billing_address", errors) if "billing_address" in payload else None
    customer = payload["customer"]
    email = _normalised(normalise_email, customer.get("email", ""), "customer.email", errors)
    phone = _normalised(
        normalise_phone, customer.get("phone", ""), "customer.phone", errors, region=_phone_region(shipment, billing)
    )
    payment = payload["payment"]
    reference = payment.get("reference", "").strip()
    if reference and payment["method"] != PaymentMethod.PREPAID:
        errors["payment.reference"] = "only a prepaid payment that has been received has a reference"
    if errors:
        raise invalid(errors)
    return OrderInput(
        channel=payload["channel"],
        external_id=payload.get("external_id", "").strip(),
        lines=tuple(LineInput(sku=line["sku"].strip(), quantity=line["quantity"]) for line in payload["lines"]),
        shipments=(shipment,),
        payment_method=payment["method"],
        paid_reference=reference,
        # A known customer (active, same e-mail address) gets their tier's prices, their account and
        # the order in their history; the storefront vouches for the address being the customer's.
        customer_id=customer_id_for_email(email=email) if email else None,
        customer_name=" ".join(customer["name"].split()),
        email=email,
        phone=phone,
        billing_address=billing,
        coupon_codes=tuple(code.strip() for code in payload.get("coupon_codes", ())),
    )


def _shipment(payload: dict, errors: dict[str, str]) -> ShipmentInput | None:
    """Delivery to the shipping address at the method's charge, or a free pick-up as in the staff UI;
    None (and errors) when the body mixes the two or lacks what its method needs."""
    method = payload["shipping_method"]
    if method == PICKUP:
        if "shipping_address" in payload:
            errors["shipping_address"] = "a pick-up has no delivery address; leave it out"
        if "pickup_warehouse" not in payload:
            errors["pickup_warehouse"] = f"required with shipping_method {PICKUP}"
            return None
        return ShipmentInput(pickup_warehouse=payload["pickup_warehouse"].strip())
    if "pickup_warehouse" in payload:
        errors["pickup_warehouse"] = f"only with shipping_method {PICKUP}"
    if "shipping_address" not in payload:
        errors["shipping_address"] = "required"
        return None
    ship_to = _address(payload["shipping_address"], "shipping_address", errors)
    return ShipmentInput(ship_to=ship_to, shipping_method=method, shipping_price=settings.SHIPPING_METHODS[method])


def _phone_region(shipment: ShipmentInput | None, billing: AddressInput | None) -> str:
    """Where a phone number without a country code is read: the delivery country, else the billing one."""
    for address in (shipment.ship_to if shipment else None, billing):
        if address is not None and address.country:
            return address.country
    return default_region()


def service_errors(errors: dict[str, str]) -> dict[str, str]:
    """order_place's error paths in the API body's terms."""
    return {_api_path(path): message for path, message in errors.items()}


def _api_path(path: str) -> str:
    for service, api in _SERVICE_PATHS:
        if path == service or path.startswith(f"{service}."):
            return api + path.removeprefix(service)
    return "shipping_address" if path == "shipments" else path


def _address(raw: dict, path: str, errors: dict[str, str]) -> AddressInput:
    values = {name: " ".join(raw.get(name, "").split()) for name in ADDRESS_FIELDS}
    values["country"] = _normalised(normalise_country, values["country"], f"{path}.country", errors)
    if values["country"]:
        values["postal_code"] = _normalised(
            normalise_postal_code, values["postal_code"], f"{path}.postal_code", errors, country=values["country"]
        )
    return AddressInput(**values)


def _normalised(normalise, value: str, path: str, errors: dict[str, str], **options) -> str:
    try:
        return normalise(value, **options)
    except CrmError as error:
        errors[path] = str(error)
        return ""


@dataclass(frozen=True)
class StockQuery:
    skus: list[str]
    limit: int
    # Without updated_since: the SKU to continue after. With it: where to continue in the feed of changes.
    after: str = ""
    updated_since: datetime | None = None
    cursor: ChangeCursor | None = None


def parse_stock_query(query) -> StockQuery:
    """GET /stock's query; raises ApiError 400 naming each bad parameter."""
    errors = {name: "unknown parameter" for name in query if name not in ("sku", "after", "limit", "updated_since")}
    errors |= {name: "give it once" for name in ("after", "limit", "updated_since") if len(query.getlist(name)) > 1}
    skus = query.getlist("sku")
    if len(skus) > MAX_SKUS:
        errors["sku"] = f"at most {MAX_SKUS} at once; page through the list without sku for more"
    elif any(not sku.strip() or len(sku) > 64 or not sku.isprintable() for sku in skus):
        errors["sku"] = "each must be 1 to 64 printable characters"
    elif skus and set(query) & {"after", "limit", "updated_since"}:
        errors["sku"] = "cannot be combined with after, limit or updated_since"
    after = query.get("after", "")
    limit = query.get("limit", str(STOCK_PAGE_SIZE))
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 3 and 1 <= int(limit) <= MAX_STOCK_PAGE_SIZE):
        errors["limit"] = f"must be a whole number from 1 to {MAX_STOCK_PAGE_SIZE}"
    updated_since = _moment(query.get("updated_since"), errors)
    cursor = None
    if "updated_since" in query and after:
        cursor = change_cursor_parse(after)
        if cursor is None:
            errors["after"] = "must be the cursor of the `next` URL"
    elif len(after) > 64 or not after.isprintable():
        errors["after"] = "must be a SKU, as in the `next` URL"
    if errors:
        raise invalid(errors, "The query has errors; see `errors`.")
    skus = [sku.strip() for sku in skus]
    return StockQuery(skus, int(limit), after="" if cursor else after, updated_since=updated_since, cursor=cursor)


def _moment(text: str | None, errors: dict[str, str]):
    if text is None:
        return None
    try:
        moment = parse_datetime(text) if text.isprintable() else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors["updated_since"] = "must be an ISO 8601 time with its offset, e.g. 2026-05-01T12:00:00Z"
    return moment


# --- tracking events --------------------------------------------------------------------------------

# Events from before this or further ahead than the leeway are a carrier's (or a client's) mistake; the
# bounds also keep times far from the ends of the calendar, which the database cannot give back.
EARLIEST_TRACKING_TIME = datetime(2000, 1, 1, tzinfo=UTC)
TRACKING_CLOCK_LEEWAY = timedelta(days=1)
_TIME_MESSAGE = "must be an ISO 8601 time with its offset, e.g. 2026-05-04T09:30:00+01:00"


class _NeutralTracking(CarrierAdapter):
    """The neutral form of tracking events (CarrierAdapter.parse_tracking), for bodies naming no carrier."""

    creates_labels = False

    def __init__(self):
        super().__init__(carrier=None)

    def quote(self, *, services, parcels, destination):
        raise CarrierError("The neutral form only reads tracking events.")

    def create_label(self, request):
        raise CarrierError("The neutral form only reads tracking events.")

    def cancel_label(self, *, tracking_number):
        raise CarrierError("The neutral form only reads tracking events.")


@dataclass(frozen=True)
class TrackingRequest:
    updates: list[TrackingUpdate]
    # One event sent as the body itself: a refusal of it is the answer's status (422 or 409).
    single: bool


def parse_tracking_events(payload) -> TrackingRequest:
    """The events of a POST /tracking-events body, read by the adapter of its `carrier` (the neutral
    form without one); raises ApiError 400 naming each bad field, before anything is stored."""
    if not isinstance(payload, dict):
        raise invalid({ROOT: 'must be an object: one event, or {"events": [...]}'})
    batch = "events" in payload
    adapter = _tracking_adapter(payload)
    if type(adapter).parse_tracking is CarrierAdapter.parse_tracking:
        _check_neutral(payload, batch)
    try:
        updates = adapter.parse_tracking(payload)
    except (CarrierError, ValueError) as error:
        # Only a carrier's own format gets here: the neutral form was checked field by field above.
        raise invalid({ROOT: str(error)}, f"The tracking events cannot be read: {error}") from None
    _check_updates(updates, batch)
    return TrackingRequest(updates=updates, single=not batch and len(updates) == 1)


def _tracking_adapter(payload: dict) -> CarrierAdapter:
    if "carrier" not in payload:
        return _NeutralTracking()
    code = payload["carrier"]
    document = openapi_document()
    errors = validate(code, document["components"]["schemas"]["TrackingEventBatch"]["properties"]["carrier"])
    if errors:
        raise invalid({"carrier": errors[ROOT]})
    carrier = Carrier.objects.filter(code=code).first()
    if carrier is None:
        raise invalid({"carrier": f"there is no carrier {code}"})
    try:
        return adapter_for(carrier)
    except CarrierError as error:
        raise invalid({"carrier": str(error)}) from None


def _check_neutral(payload: dict, batch: bool) -> None:
    document = openapi_document()
    schema = document["components"]["schemas"]["TrackingEventBatch" if batch else "TrackingEventCreate"]
    errors = validate(payload, schema, document=document)
    events = payload.get("events") if batch else [payload]
    for index, event in enumerate(events if isinstance(events, list) else []):
        if not isinstance(event, dict):
            continue
        path = child_path("events", index) if batch else ROOT
        status, time = child_path(path, "status"), child_path(path, "time")
        if status not in errors and isinstance(event.get("status"), str) and _status(event["status"]) is None:
            errors[status] = "unknown status; send one of " + ", ".join(TrackingEvent.Status.values)
        if time not in errors and isinstance(event.get("time"), str):
            message = _time_problem(_moment_of(event["time"]))
            if message:
                errors[time] = message
    if errors:
        raise invalid(errors)


def _status(word: str) -> str | None:
    # As CarrierAdapter.parse_tracking reads it.
    return TRACKING_STATUSES.get(word.strip().lower().replace("-", "_"))


def _moment_of(text: str) -> datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:  # well formed but no such time (a 31 April, an offset of a day)
        return None


def _time_problem(moment: datetime | None) -> str:
    if moment is None or moment.tzinfo is None:
        return _TIME_MESSAGE
    if not EARLIEST_TRACKING_TIME <= moment <= timezone.now() + TRACKING_CLOCK_LEEWAY:
        return "must be a time from 2000 to a day from now"
    return ""


def _check_updates(updates: list[TrackingUpdate], batch: bool) -> None:
    """What every adapter's events must satisfy to be stored (a carrier's own format included)."""
    if not updates:
        raise invalid({"events": "must hold at least 1 event"})
    if len(updates) > MAX_TRACKING_EVENTS:
        raise invalid({"events": f"must hold at most {MAX_TRACKING_EVENTS} events; send the rest in another request"})
    errors = {}
    for index, update in enumerate(updates):
        path = child_path("events", index) if batch or len(updates) > 1 else ROOT
        for name in ("event_id", "tracking_number", "location", "description"):
            if any(unicodedata.category(char) in ("Cc", "Cs") for char in getattr(update, name)):
                errors[child_path(path, name)] = "must not contain control characters or unpaired surrogates"
        for name in ("event_id", "tracking_number"):
            if not getattr(update, name).strip():
                errors[child_path(path, name)] = "must not be blank"
        message = _time_problem(update.occurred_at)
        if message:
            errors[child_path(path, "time")] = message
    if errors:
        raise invalid(errors)
