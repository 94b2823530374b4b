"""Template filters of the pricing pages: unit prices and rates."""

from decimal import Decimal, InvalidOperation

from django import template

from backoffice.money import CENT, UNIT_PRICE_STEP, format_money, quantize

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def unit_money(value, currency: str = ""):
    """A unit price: two decimals, or up to four where they matter (0.0125 a screw)."""
    amount = _decimal(value)
    if amount is None:
        return value
    amount = quantize(amount, UNIT_PRICE_STEP)
    if amount == quantize(amount, CENT):
        return format_money(amount, currency)
    return f"{f'{amount:,.4f}'.rstrip('0')} {currency}".strip()


@register.filter
def percent(rate):
    """A rate as a percentage: 0.2000 -> 20%, 0.0550 -> 5.5%."""
    amount = _decimal(rate)
    if amount is None:
        return rate
    return f"{(amount * 100).normalize():f}%"


@register.filter
def plain(value):
    """A quantity or percentage without trailing zeros: 10.0000 -> 10, 2.5000 -> 2.5."""
    amount = _decimal(value)
    if amount is None:
        return value
    return f"{amount.normalize():f}"


@register.filter
def subtract(value, other):
    """value - other, for the change a new price makes."""
    first, second = _decimal(value), _decimal(other)
    if first is None or second is None:
        return ""
    return first - second
