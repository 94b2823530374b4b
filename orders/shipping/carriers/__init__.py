"""Carrier adapters, one module per kind of carrier, looked up by `Carrier.kind`.

Adding a carrier with an API of its own: write `orders/shipping/carriers/<name>.py` with a subclass of
`base.CarrierAdapter`, add its kind to `Carrier.Kind` and its dotted path here.
"""

from django.utils.module_loading import import_string

from orders.shipping.carriers.base import (
    Address,
    CarrierAdapter,
    CarrierError,
    CarrierUnavailable,
    Label,
    LabelRequest,
    ParcelSpec,
    RateQuote,
    TrackingUpdate,
)

ADAPTERS: dict[str, str] = {
    "table_rate": "orders.shipping.carriers.table_rate.TableRateCarrier",
    "manual": "orders.shipping.carriers.manual.ManualCarrier",
    "pickup": "orders.shipping.carriers.pickup.PickupCarrier",
}


def adapter_for(carrier) -> CarrierAdapter:
    """The adapter that speaks for `carrier` (an orders.models.Carrier)."""
    path = ADAPTERS.get(carrier.kind)
    if path is None:
        raise CarrierError(f"{carrier.name}: no adapter for carriers of kind {carrier.kind!r}.")
    return import_string(path)(carrier)


__all__ = [
    "ADAPTERS",
    "Address",
    "CarrierAdapter",
    "CarrierError",
    "CarrierUnavailable",
    "Label",
    "LabelRequest",
    "ParcelSpec",
    "RateQuote",
    "TrackingUpdate",
    "adapter_for",
]
