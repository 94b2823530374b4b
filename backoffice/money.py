"""Money arithmetic: Decimal only, rounded half-up to the minor unit in one place."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# Unit prices may carry four decimal places (e.g. 0.0125 per screw); line totals never do.
UNIT_PRICE_STEP = Decimal("0.0001")


def quantize(amount: Decimal, step: Decimal = CENT) -> Decimal:
    """Round `amount` half-up to `step` (the currency's minor unit unless told otherwise)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(step, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str = "") -> str:
    """'1,234.50 EUR': grouped thousands, always two decimals, currency code after the amount."""
    if amount is None:
        return ""
    text = f"{quantize(amount):,.2f}"
    return f"{text} {currency}".strip()
