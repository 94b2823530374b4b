"""A carrier we have no connection to (a courier booked by phone, a local van): it quotes nothing and
makes no labels; staff type the tracking number the carrier gave them
(orders.services.labels.parcel_tracking_set). Staff choose its services by hand."""

from orders.shipping.carriers.base import CarrierAdapter, CarrierError, Label, LabelRequest


class ManualCarrier(CarrierAdapter):
    creates_labels = False

    def quote(self, *, services, parcels, destination):
        return []

    def create_label(self, request: LabelRequest) -> Label:
        raise CarrierError(f"{self.carrier.name} makes no labels here: type the tracking number it gave you.")

    def cancel_label(self, *, tracking_number: str) -> None:
        """Nothing was booked through us: staff tell the carrier themselves."""
