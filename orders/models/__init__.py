"""The orders app's tables, one module per area. Only orders/services/ writes them."""

from orders.models.documents import Document, Invoice
from orders.models.fulfilment import (
    Carrier,
    CarrierService,
    Parcel,
    ParcelItem,
    PickLine,
    PickList,
    RateBand,
    ShippingZone,
    TrackingEvent,
)
from orders.models.integrations import ShipStationAccount, ShipStationNotice
from orders.models.orders import (
    PLACED_DAY,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Shipment,
    ShipmentLine,
    WarehousePriority,
)
from orders.models.returns import CreditNote, ReturnAuthorisation, ReturnLine

__all__ = [
    "PLACED_DAY",
    "Carrier",
    "CarrierService",
    "CreditNote",
    "Document",
    "Invoice",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Parcel",
    "ParcelItem",
    "Payment",
    "PickLine",
    "PickList",
    "RateBand",
    "ReturnAuthorisation",
    "ReturnLine",
    "ShipStationAccount",
    "ShipStationNotice",
    "Shipment",
    "ShipmentLine",
    "ShippingZone",
    "TrackingEvent",
    "WarehousePriority",
]
