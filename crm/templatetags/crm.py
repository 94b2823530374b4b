"""Template filters of the crm pages."""

from django import template

from crm.normalise import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number as people write it: "0113 496 0123" at home, "+49 30 901820" abroad."""
    return format_phone(value or "")


@register.filter
def payment_terms(days: int) -> str:
    return "Pay in advance" if not days else f"{days} days"
