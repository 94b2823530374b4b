"""The carrier adapter interface: what the rest of the system asks of any carrier.

An adapter is built around one `orders.models.Carrier` row and answers four questions:

- `quote(services=, parcels=, destination=)`: what each of the carrier's services charges for these
  parcels to this address, and how many working days it takes;
- `create_label(request)`: book the parcel with the carrier and get its tracking number and a 4x6
  inch label PDF;
- `cancel_label(tracking_number=)`: void a label that will not be used;
- `parse_tracking(payload)`: read what the carrier posted about its parcels into `TrackingUpdate`s.

Adapters raise `CarrierUnavailable` for failures that may pass (a timeout, the carrier's API down,
a full disk): the label task tries again later with backoff. Any other `CarrierError` is final (the
carrier refused the parcel, no rate for the destination): the parcel's label is marked failed with
the message, for staff to fix and retry. Everything here works on plain values and model rows; it
writes nothing but what a carrier itself would keep (table-rate tracking numbers).

A real carrier API is one more module beside table_rate.py: subclass `CarrierAdapter`, map its
statuses in `parse_tracking`, pass `LabelRequest.idempotency_key` to the API where it takes one (a
retried task must not buy a second label), and add it to `ADAPTERS` in carriers/__init__.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from django.utils.dateparse import parse_datetime

from orders.exceptions import OrderError

if TYPE_CHECKING:
    from orders.models import Carrier, CarrierService


class CarrierError(OrderError):
    """The carrier cannot do this; the message says why, for staff. Trying again will not help."""


class CarrierUnavailable(CarrierError):
    """The carrier could not be reached or failed for now; trying again later may work."""


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    company: str = ""
    phone: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> Address:
        """From an order's or shipment's address (orders.services.placement.AddressInput.as_dict)."""
        fields = ("name", "line1", "city", "postal_code", "country", "line2", "region", "company", "phone")
        return cls(**{field: str(data.get(field) or "").strip() for field in fields})

    @classmethod
    def from_warehouse(cls, warehouse) -> Address:
        return cls(
            name=warehouse.name,
            line1=warehouse.line1,
            line2=warehouse.line2,
            city=warehouse.city,
            region=warehouse.region,
            postal_code=warehouse.postal_code,
            country=warehouse.country,
        )

    @property
    def country_code(self) -> str:
        return self.country.strip().upper()

    def lines(self) -> list[str]:
        """The address as printed, line by line, blank parts left out."""
        city = " ".join(part for part in (self.city, self.postal_code) if part)
        parts = (self.name, self.company, self.line1, self.line2, city, self.region, self.country_code)
        return [part for part in parts if part]


@dataclass(frozen=True)
class ParcelSpec:
    """A parcel as a carrier prices it."""

    weight_grams: int
    package_type: str = "medium_box"


@dataclass(frozen=True)
class RateQuote:
    """What one service charges for all the parcels together, and its transit time in working days."""

    service_id: int
    price_amount: Decimal
    transit_days: int


@dataclass(frozen=True)
class LabelRequest:
    """Everything a carrier needs to book one parcel and print its label."""

    parcel_id: int
    # Stable across retries of the same label: a carrier API that accepts an idempotency key gets it,
    # so that a task that died after the carrier answered does not buy a second label.
    idempotency_key: str
    # "<order number>/<shipment>/<parcel>", printed on the label and sent as the customer reference.
    reference: str
    order_number: str
    service: CarrierService
    ship_from: Address
    ship_to: Address
    weight_grams: int
    package_type: str
    package_label: str
    parcel_position: int
    parcel_count: int
    ship_date: date


@dataclass(frozen=True)
class Label:
    tracking_number: str
    pdf: bytes
    # What the carrier charges for the parcel, when it says.
    price_amount: Decimal | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    """A carrier's news about one parcel, in the system's own words (TrackingEvent.Status values)."""

    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""


# Carriers' words for where a parcel is, mapped to TrackingEvent.Status values.
TRACKING_STATUSES = {
    "in_transit": "in_transit",
    "in transit": "in_transit",
    "transit": "in_transit",
    "accepted": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "out for delivery": "out_for_delivery",
    "delivered": "delivered",
    "exception": "exception",
    "delivery_exception": "exception",
    "failed_attempt": "exception",
    "returned_to_sender": "returned_to_sender",
    "returned to sender": "returned_to_sender",
    "return_to_sender": "returned_to_sender",
}


class CarrierAdapter(ABC):
    # False for carriers whose parcels get no label from us (staff type the tracking number, or the
    # customer collects): the label task refuses them with a message saying what to do instead.
    creates_labels: ClassVar[bool] = True

    def __init__(self, carrier: Carrier):
        self.carrier = carrier

    @abstractmethod
    def quote(
        self, *, services: Sequence[CarrierService], parcels: Sequence[ParcelSpec], destination: Address
    ) -> list[RateQuote]:
        """A quote for each of `services` that can carry every parcel to the destination; services
        that cannot are left out (an empty list: this carrier does not go there)."""

    @abstractmethod
    def create_label(self, request: LabelRequest) -> Label:
        """Book the parcel and return its tracking number and label PDF (4x6 inches)."""

    @abstractmethod
    def cancel_label(self, *, tracking_number: str) -> None:
        """Void a label: the carrier will not bill it nor expect the parcel."""

    def tracking_link(self, tracking_number: str) -> str:
        """Where the customer can follow the parcel ("" when the carrier has no tracking page)."""
        template = self.carrier.tracking_url
        if not template or not tracking_number:
            return ""
        return template.replace("{tracking}", tracking_number)

    def parse_tracking(self, payload: dict | list) -> list[TrackingUpdate]:
        """Read a carrier's tracking payload: by default the neutral form this system documents, one
        event or {"events": [...]}, each with event_id, tracking_number, status, time (ISO 8601),
        location and description. Raises CarrierError naming what is wrong."""
        events = payload.get("events", [payload]) if isinstance(payload, dict) else payload
        if not isinstance(events, list):
            raise CarrierError("Tracking events must be a list.")
        return [self._tracking_update(event, index) for index, event in enumerate(events)]

    @staticmethod
    def _tracking_update(event, index: int) -> TrackingUpdate:
        if not isinstance(event, dict):
            raise CarrierError(f"events[{index}] is not an object.")
        missing = [name for name in ("event_id", "tracking_number", "status", "time") if not event.get(name)]
        if missing:
            raise CarrierError(f"events[{index}] lacks {', '.join(missing)}.")
        status = TRACKING_STATUSES.get(str(event["status"]).strip().lower().replace("-", "_"))
        if status is None:
            raise CarrierError(f"events[{index}].status: unknown status {event['status']!r}.")
        occurred_at = parse_datetime(str(event["time"]))
        if occurred_at is None or occurred_at.tzinfo is None:
            raise CarrierError(f"events[{index}].time: {event['time']!r} is not an ISO 8601 time with a zone.")
        return TrackingUpdate(
            event_id=str(event["event_id"])[:100],
            tracking_number=str(event["tracking_number"]).strip(),
            status=status,
            occurred_at=occurred_at,
            location=str(event.get("location") or "")[:200],
            description=str(event.get("description") or "")[:300],
        )


def parcel_specs(parcels: Iterable) -> list[ParcelSpec]:
    """ParcelSpecs from weights in grams, ParcelSpecs or Parcel rows."""
    specs = []
    for parcel in parcels:
        if isinstance(parcel, ParcelSpec):
            specs.append(parcel)
        elif isinstance(parcel, int):
            specs.append(ParcelSpec(weight_grams=parcel))
        else:
            specs.append(ParcelSpec(weight_grams=parcel.weight_grams, package_type=parcel.package_type))
    if any(spec.weight_grams < 1 for spec in specs):
        raise CarrierError("A parcel must weigh at least 1 g.")
    return specs
