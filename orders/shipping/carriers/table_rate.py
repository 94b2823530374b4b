"""A carrier priced from tables that managers keep in the admin (orders.models.RateBand): per service
level and destination zone, a price for each weight band, with its transit days.

Tracking numbers are the carrier's prefix, nine digits from a database sequence and a check digit
(e.g. TR0000012345 plus one): unique across all table-rate carriers, issued without holding any lock
(so that workers label in parallel), never reused; a label that is rolled back leaves a gap.
The label PDF is rendered here (orders.shipping.label_pdf), as the carrier's own system would.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection

from orders.shipping.carriers.base import (
    Address,
    CarrierAdapter,
    CarrierError,
    Label,
    LabelRequest,
    ParcelSpec,
    RateQuote,
)
from orders.shipping.label_pdf import render_label

# Created by migration orders/0006_tracking_number_sequence.
TRACKING_SEQUENCE = "orders_tracking_number_seq"


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits (catches a mistyped digit or two swapped)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


class TableRateCarrier(CarrierAdapter):
    def zone_for(self, country: str):
        """The first of the carrier's zones (lowest position) that lists the country, or None."""
        return (
            self.carrier.zones.filter(countries__contains=[country.strip().upper()]).order_by("position", "id").first()
        )

    def quote(self, *, services: Sequence, parcels: Sequence[ParcelSpec], destination: Address) -> list[RateQuote]:
        if not parcels or not services:
            return []
        zone = self.zone_for(destination.country_code)
        if zone is None:
            return []
        bands = defaultdict(list)
        for band in zone.rates.filter(service__in=services).order_by("max_weight_grams"):
            bands[band.service_id].append(band)
        quotes = []
        for service in services:
            total, transit = 0, 0
            for parcel in parcels:
                # The lightest band the parcel fits in (bands run up to and including their limit).
                band = next((b for b in bands[service.pk] if b.max_weight_grams >= parcel.weight_grams), None)
                if band is None:
                    break
                total += band.price_amount
                transit = max(transit, band.transit_days if band.transit_days is not None else service.transit_days)
            else:
                quotes.append(RateQuote(service_id=service.pk, price_amount=total, transit_days=transit))
        return quotes

    def create_label(self, request: LabelRequest) -> Label:
        zone = self.zone_for(request.ship_to.country_code)
        if zone is None:
            country = request.ship_to.country_code or "an address without a country"
            raise CarrierError(f"{self.carrier.name} does not deliver to {country}.")
        quotes = self.quote(
            services=[request.service],
            parcels=[ParcelSpec(request.weight_grams, request.package_type)],
            destination=request.ship_to,
        )
        if not quotes:
            raise CarrierError(
                f"{request.service} takes no parcel of {request.weight_grams} g to {zone.name}: "
                "split it, or choose another service."
            )
        tracking_number = self.issue_tracking_number()
        pdf = render_label(request, tracking_number=tracking_number, carrier_name=self.carrier.name, zone=zone.name)
        return Label(tracking_number=tracking_number, pdf=pdf, price_amount=quotes[0].price_amount)

    def cancel_label(self, *, tracking_number: str) -> None:
        """The tables need no word: the number is simply never used again."""

    def issue_tracking_number(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [TRACKING_SEQUENCE])
            digits = f"{cursor.fetchone()[0]:09d}"
        prefix = (self.carrier.tracking_prefix or self.carrier.code[:4]).upper()
        return f"{prefix}{digits}{luhn_digit(digits)}"
