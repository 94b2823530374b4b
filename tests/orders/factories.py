"""Test data for orders: a small shop (fixture in conftest.py) and order inputs."""

from decimal import Decimal as D

from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput

HOME = AddressInput("Ann Lee", "1 High Street", "Leeds", "LS1 1AA", "GB", region="West Yorkshire")
OFFICE = AddressInput("Ann Lee", "Unit 9, Dock Road", "Bristol", "BS1 4AA", "GB", company="Lee Ltd")


def order(*lines, shipments=None, **fields):
    return OrderInput(
        **{
            "channel": "phone",
            "lines": tuple(LineInput(*line) for line in lines),
            "shipments": shipments
            or (ShipmentInput(ship_to=HOME, shipping_method="Standard", shipping_price=D("4.95")),),
            "payment_method": "cod",
            "customer_name": "Ann Lee",
            "email": "Ann@Example.TEST ",
            **fields,
        }
    )
