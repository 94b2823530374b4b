class PricingError(Exception):
    """Base of the errors the pricing services raise; the message is meant for the user."""


class CouponUnavailable(PricingError):
    """A coupon could not be redeemed (used up meanwhile, per-customer limit, unknown)."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"Coupon {code}: {reason}")
