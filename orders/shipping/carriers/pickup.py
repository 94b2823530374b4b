"""Store pick-up: the customer collects the shipment at the warehouse. Free, ready the same working
day, no label and no tracking; offered only for shipments to be picked up."""

from decimal import Decimal

from orders.shipping.carriers.base import CarrierAdapter, CarrierError, Label, LabelRequest, RateQuote

FREE = Decimal("0.00")


class PickupCarrier(CarrierAdapter):
    creates_labels = False

    def quote(self, *, services, parcels, destination):
        return [RateQuote(service_id=service.pk, price_amount=FREE, transit_days=0) for service in services]

    def create_label(self, request: LabelRequest) -> Label:
        raise CarrierError("A pick-up needs no label: hand the parcels to the customer.")

    def cancel_label(self, *, tracking_number: str) -> None:
        """There is no label to void."""

    def parse_tracking(self, payload):
        return []
