"""Errors of picking and packing; their messages are meant for the people at the warehouse."""

from orders.exceptions import OrderError


class FulfilmentError(OrderError):
    """A pick list or a packing that cannot be done as asked."""


class PickingInvalid(FulfilmentError):
    """The quantities entered for a pick list do not add up; `errors` maps pick line ids to messages."""

    def __init__(self, errors: dict[int, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class PackingInvalid(FulfilmentError):
    """What was packed does not match the shipment (a wrong item, too many or too few units)."""
