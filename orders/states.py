"""Order lifecycle: statuses, the allowed transitions, holds, payments.

No database access here; orders/services/ performs transitions, one function per business event.
"""

from django.db import models

from orders.exceptions import InvalidTransition


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PLACED = "placed", "Placed"
    ON_HOLD = "on_hold", "On hold"
    READY = "ready", "Ready to fulfil"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    PARTIALLY_RETURNED = "partially_returned", "Partially returned"
    RETURNED = "returned", "Returned"


S = OrderStatus
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.PLACED, S.CANCELLED},
    S.PLACED: {S.ON_HOLD, S.READY, S.CANCELLED},
    S.ON_HOLD: {S.READY, S.CANCELLED},
    S.READY: {S.ON_HOLD, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED},
    # Returns taken while other shipments are still open show once the last one has shipped.
    S.PARTIALLY_SHIPPED: {S.SHIPPED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.SHIPPED: {S.DELIVERED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.DELIVERED: {S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.COMPLETED: {S.PARTIALLY_RETURNED, S.RETURNED},
    S.PARTIALLY_RETURNED: {S.RETURNED, S.COMPLETED},
    S.RETURNED: set(),
    S.CANCELLED: set(),
}
# Stock is reserved for an order in these statuses (and released when it leaves them for cancelled).
RESERVING = {S.PLACED, S.ON_HOLD, S.READY, S.PARTIALLY_SHIPPED}
# Something has shipped that may come back (a return).
RETURNABLE = {S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED}
# The order's lines, quantities and addresses may still be changed.
EDITABLE = {S.DRAFT, S.PLACED, S.ON_HOLD, S.READY}


def ensure_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless the table allows going from `current` to `target`."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(current, target)


class HoldReason(models.TextChoices):
    PAYMENT_PENDING = "payment_pending", "Payment pending"
    CREDIT_LIMIT = "credit_limit", "Credit limit exceeded"
    ADDRESS_CHECK = "address_check", "Address to check"
    MANUAL = "manual", "Manual hold"


class PaymentMethod(models.TextChoices):
    PREPAID = "prepaid", "Prepaid (card or bank transfer)"
    COD = "cod", "Cash on delivery"
    ACCOUNT = "account", "On account"


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    AUTHORISED = "authorised", "Authorised"
    # Cash on delivery: the carrier has the customer's money; it is paid once the carrier remits it.
    COLLECTED = "collected", "Collected by the carrier"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready to fulfil"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class ReturnStatus(models.TextChoices):
    AUTHORISED = "authorised", "Authorised, awaiting the goods"
    RECEIVED = "received", "Received, refund due"
    REFUNDED = "refunded", "Refunded or credited"
    CANCELLED = "cancelled", "Cancelled"


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", "Arrived damaged"
    DEFECTIVE = "defective", "Defective"
    WRONG_ITEM = "wrong_item", "Wrong item sent"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    NOT_NEEDED = "not_needed", "No longer needed"
    OTHER = "other", "Other"


class ReturnCondition(models.TextChoices):
    """How a returned unit came back, which decides where it goes."""

    SELLABLE = "sellable", "As new: back to stock"
    DAMAGED = "damaged", "Damaged or opened: quarantine"


class Settlement(models.TextChoices):
    """How the customer gets their money back for a return."""

    REFUND = "refund", "Refund to the original payment"
    CREDIT = "credit", "Credit note on the customer's account"
