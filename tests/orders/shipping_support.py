"""Carriers, rates and ready shipments for the label and carrier tests (with the `shop` fixture of
tests/orders/conftest.py: warehouses LDS and BRS, MUG and PLATE of 0.5 kg each)."""

import subprocess
from decimal import Decimal as D

from orders.models import Carrier, CarrierService, Parcel, RateBand, ShippingZone
from orders.services.placement import AddressInput, ShipmentInput, order_place
from tests.orders.factories import HOME, order


def table_rate_carriers() -> dict:
    """Two table-rate carriers, a manual one and store pick-up.

    Swift (prefix SW): Standard (3 days) and Express (1 day); zones UK (GB) and Europe (FR, DE, IE), and
    a catch-all zone "Anywhere" (GB, FR, US) after them. Budget: Economy (5 days) in the UK only.
    """
    swift = Carrier.objects.create(
        code="swift", name="Swift", kind=Carrier.Kind.TABLE_RATE, tracking_prefix="SW",
        tracking_url="https://track.swift.example/?n={tracking}",
    )  # fmt: skip
    standard = CarrierService.objects.create(carrier=swift, code="standard", name="Standard", transit_days=3)
    express = CarrierService.objects.create(carrier=swift, code="express", name="Express", transit_days=1)
    uk = ShippingZone.objects.create(carrier=swift, name="UK", countries=["GB"], position=0)
    europe = ShippingZone.objects.create(carrier=swift, name="Europe", countries=["FR", "DE", "IE"], position=1)
    anywhere = ShippingZone.objects.create(carrier=swift, name="Anywhere", countries=["GB", "FR", "US"], position=9)
    bands = [
        (standard, uk, 1000, "3.95", None),
        (standard, uk, 5000, "6.50", None),
        (standard, uk, 20000, "11.20", None),
        (express, uk, 1000, "7.80", None),
        (express, uk, 5000, "12.40", None),
        (standard, europe, 2000, "9.99", 5),
        (standard, europe, 10000, "18.49", 6),
        (standard, anywhere, 30000, "99.00", 10),
    ]
    for service, zone, grams, price, days in bands:
        RateBand.objects.create(
            service=service, zone=zone, max_weight_grams=grams, price_amount=D(price), transit_days=days
        )
    budget = Carrier.objects.create(code="budget", name="Budget", kind=Carrier.Kind.TABLE_RATE, tracking_prefix="BG")
    economy = CarrierService.objects.create(carrier=budget, code="economy", name="Economy", transit_days=5)
    budget_uk = ShippingZone.objects.create(carrier=budget, name="UK", countries=["GB"])
    RateBand.objects.create(service=economy, zone=budget_uk, max_weight_grams=5000, price_amount=D("2.99"))
    courier = Carrier.objects.create(code="courier", name="Local courier", kind=Carrier.Kind.MANUAL)
    same_day = CarrierService.objects.create(carrier=courier, code="same-day", name="Same day", transit_days=0)
    pickup = Carrier.objects.create(code="pickup", name="Store pick-up", kind=Carrier.Kind.PICKUP)
    collect = CarrierService.objects.create(carrier=pickup, code="collect", name="Collect", transit_days=0)
    return {
        "swift": swift,
        "standard": standard,
        "express": express,
        "budget": budget,
        "economy": economy,
        "courier": courier,
        "same_day": same_day,
        "pickup": pickup,
        "collect": collect,
    }


def ready_order(*lines, ship_to: AddressInput = HOME, **fields):
    """A cash-on-delivery order (ready at once) of one shipment to `ship_to`."""
    shipments = (ShipmentInput(ship_to=ship_to, shipping_method="Standard", shipping_price=D("4.95")),)
    return order_place(data=order(*(lines or (("MUG", 1),)), shipments=shipments, **fields))


def parcel(shipment, grams: int, position: int = 1, **fields) -> Parcel:
    """A packed parcel (as the pack station leaves it)."""
    return Parcel.objects.create(shipment=shipment, position=position, weight_grams=grams, **fields)


def pdf_text(path) -> str:
    """The text of a PDF as pdftotext reads it (layout kept)."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_page_size(path) -> str:
    """ "288 x 432 pts" for a 4x6 inch page."""
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Page size"))
