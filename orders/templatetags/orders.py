"""Template filters of the order pages."""

from django import template

from orders.states import HoldReason, OrderStatus, PaymentMethod, PaymentStatus

register = template.Library()

# The badge colour of each state: green once nothing more is needed from staff, amber while someone
# must act, red when it ended badly; grey for the steps in between.
_TONES = {
    OrderStatus.READY: "ok",
    OrderStatus.DELIVERED: "ok",
    OrderStatus.COMPLETED: "ok",
    OrderStatus.ON_HOLD: "warn",
    OrderStatus.CANCELLED: "bad",
    OrderStatus.RETURNED: "bad",
    PaymentStatus.PAID: "ok",
    PaymentStatus.UNPAID: "warn",
    PaymentStatus.REFUNDED: "bad",
}


@register.filter
def tone(state: str) -> str:
    """The badge class of an order or payment state: {{ order.status|tone }}."""
    return _TONES.get(state, "")


@register.filter
def pair(first, second):
    """Two lists side by side: {% for warehouse, cell in warehouses|pair:row.cells %}."""
    return list(zip(first or (), second or (), strict=False))


_LABELS = {**dict(OrderStatus.choices), **dict(PaymentStatus.choices), **dict(HoldReason.choices)}
_SHORT_METHODS = {PaymentMethod.PREPAID: "prepaid", PaymentMethod.COD: "COD", PaymentMethod.ACCOUNT: "on account"}


@register.filter
def state_label(value):
    """A timeline value as people read it: "on_hold" -> "On hold"; anything else as it is."""
    return _LABELS.get(value, value) if isinstance(value, str) else value


@register.filter
def shows_change(event) -> bool:
    """Whether a timeline event has a before/after to show: plain values (a status, an amount), not
    the records some events keep for the program (a tracking event's details, which e-mail went)."""
    values = [v for v in (event.old_value, event.new_value) if v is not None]
    return bool(values) and not any(isinstance(v, dict | list) for v in values)


@register.filter
def short_method(value: str) -> str:
    """A payment method in a word, for the list: "COD" rather than "Cash on delivery"."""
    return _SHORT_METHODS.get(value, value)
