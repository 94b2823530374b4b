"""Rate shopping: every active carrier service that can take a shipment's parcels to its address,
with its price and the working day it would arrive, cheapest first; and the choice among them.

`rate_choose` takes the cheapest service that arrives by the promised date, or, when none does, the
fastest (the cheapest of the fastest). Staff may choose another (orders.services.labels.
shipment_service_set). A pick-up is offered only the pick-up carriers' services, and a delivery
everything else: manual carriers quote no price and are chosen by hand.
"""

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from orders.exceptions import OrderError
from orders.models import Carrier, CarrierService, Parcel, Shipment, ShipmentLine
from orders.shipping.calendar import add_working_days, next_working_day
from orders.shipping.carriers import Address, CarrierError, adapter_for
from orders.shipping.carriers.base import ParcelSpec, parcel_specs


@dataclass(frozen=True)
class Quote:
    service_id: int
    carrier: str
    service: str
    price_amount: Decimal
    transit_days: int
    delivery_date: date
    meets_promise: bool
    carrier_id: int = 0

    @property
    def label(self) -> str:
        return f"{self.carrier} {self.service}"


def shipment_weight_grams(shipment_id: int) -> int:
    """What a shipment's units weigh together (Product.weight_kg), at least 1 g."""
    return units_weight_grams(
        ShipmentLine.objects.filter(shipment_id=shipment_id).values_list("quantity", "order_line__product__weight_kg")
    )


def units_weight_grams(units) -> int:
    """What (quantity, unit weight in kg or None) pairs weigh together, in whole grams, at least 1 g."""
    kilograms = sum((quantity * (weight or 0) for quantity, weight in units), Decimal(0))
    return max(1, math.ceil(kilograms * 1000))


def shipment_parcel_specs(shipment_id: int) -> list[ParcelSpec]:
    """The parcels as packed, or one parcel of the units' weight when nothing is packed yet."""
    parcels = list(Parcel.objects.filter(shipment_id=shipment_id).order_by("position"))
    if parcels:
        return parcel_specs(parcels)
    return [ParcelSpec(weight_grams=shipment_weight_grams(shipment_id))]


def rate_quotes(*, shipment_id: int, parcels=None, on: date | None = None) -> list[Quote]:
    """Quotes of every active service able to carry the shipment, cheapest first (then soonest).

    `parcels`: weights in grams, ParcelSpecs or Parcel rows (default: the shipment's parcels, or one
    parcel of its units' weight); `on`: the day it is handed over (default today; a weekend or
    holiday counts from the next working day).
    """
    shipment = Shipment.objects.filter(pk=shipment_id).first()
    if shipment is None:
        raise OrderError(f"There is no shipment {shipment_id}.")
    specs = parcel_specs(parcels) if parcels is not None else shipment_parcel_specs(shipment_id)
    ship_day = next_working_day(on or timezone.localdate())
    destination = _destination(shipment)
    carriers = Carrier.objects.filter(is_active=True)
    carriers = (
        carriers.filter(kind=Carrier.Kind.PICKUP) if shipment.is_pickup else carriers.exclude(kind=Carrier.Kind.PICKUP)
    )
    services_by_carrier: dict[int, list[CarrierService]] = {}
    for service in CarrierService.objects.filter(carrier__in=carriers, is_active=True).select_related("carrier"):
        services_by_carrier.setdefault(service.carrier_id, []).append(service)
    quotes = []
    for services in services_by_carrier.values():
        carrier = services[0].carrier
        by_id = {service.pk: service for service in services}
        try:
            offers = adapter_for(carrier).quote(services=services, parcels=specs, destination=destination)
        except CarrierError:
            # A carrier that cannot quote now (its API down) is left out; the others still can.
            continue
        for offer in offers:
            delivery = add_working_days(ship_day, offer.transit_days)
            quotes.append(
                Quote(
                    service_id=offer.service_id,
                    carrier=carrier.name,
                    service=by_id[offer.service_id].name,
                    price_amount=offer.price_amount,
                    transit_days=offer.transit_days,
                    delivery_date=delivery,
                    meets_promise=shipment.promised_date is None or delivery <= shipment.promised_date,
                    carrier_id=carrier.pk,
                )
            )
    quotes.sort(key=lambda q: (q.price_amount, q.delivery_date, q.carrier, q.service))
    return quotes


def rate_choose(quotes: list[Quote], promised_date: date | None) -> Quote | None:
    """The cheapest quote that arrives by `promised_date` (any, without a promise); when none does,
    the fastest, the cheapest of equally fast ones. None without quotes."""
    if not quotes:
        return None
    in_time = [q for q in quotes if promised_date is None or q.delivery_date <= promised_date]
    if in_time:
        return min(in_time, key=lambda q: (q.price_amount, q.delivery_date))
    return min(quotes, key=lambda q: (q.delivery_date, q.price_amount))


def _destination(shipment: Shipment) -> Address:
    if shipment.is_pickup:
        return Address.from_warehouse(shipment.warehouse)
    return Address.from_dict(shipment.ship_to or {})
