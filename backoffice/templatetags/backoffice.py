from decimal import Decimal, InvalidOperation

from django import template

from backoffice.money import format_money

register = template.Library()


@register.filter
def money(value, currency: str = ""):
    """Format an amount: ``{{ order.total_amount|money:order.currency }}``."""
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return value
    return format_money(amount, currency)
