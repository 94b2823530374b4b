"""Price lists, promotions, coupons, tax rates, competitor prices and the pricing policy.

The engine (pricing/engine.py) reads these through pricing/selectors.py and never writes.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class Channel(models.TextChoices):
    """Where an order comes from; shared with orders."""

    WEB = "web", "Web shop"
    PHONE = "phone", "Phone"
    TRADE_SHOW = "trade_show", "Trade show"
    POS = "pos", "Walk-in / POS"
    MARKETPLACE = "marketplace", "Marketplace"
    API = "api", "API"


class PricingPolicy(models.Model):
    """Shop-wide pricing settings; one row (pk=1), edited by managers in the admin."""

    currency = models.CharField(max_length=3, default="GBP")
    prices_include_tax = models.BooleanField(
        default=True, help_text="Prices are entered and shown with tax included (B2C) rather than before tax."
    )
    margin_floor = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        default=Decimal("1.0000"),
        validators=[MinValueValidator(0)],
        help_text="Promotions never take a line below cost x this factor (1.10 = at least 10% over cost).",
    )
    shipping_tax_class = models.ForeignKey(
        "inventory.TaxClass",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Tax class of shipping charges (none: shipping is not taxed).",
    )

    class Meta:
        verbose_name_plural = "pricing policy"

    def __str__(self):
        return "Pricing policy"

    @classmethod
    def current(cls) -> "PricingPolicy":
        return cls.objects.select_related("shipping_tax_class").get_or_create(pk=1)[0]


class CatalogVersion(models.Model):
    """The version of the reference data each process caches for pricing (pricing/cache.py): the
    policy, tax rates, promotions and their products and categories. One row (pk=1).

    Database triggers (migration 0003) give `value` a new number from a sequence whenever a statement
    changes one of those tables, in that statement's transaction: a reader that sees the change sees
    the new version with it, a version is never issued twice (not even after a rollback), and
    concurrent writers wait for each other on this row. Nothing else writes it.
    """

    value = models.BigIntegerField()

    def __str__(self):
        return f"Catalog version {self.value}"


class TaxRate(models.Model):
    tax_class = models.ForeignKey("inventory.TaxClass", on_delete=models.CASCADE, related_name="rates")
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="0.2000 = 20%",
    )
    valid_from = models.DateField()

    class Meta:
        ordering = ["tax_class", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["tax_class", "valid_from"], name="tax_rate_unique_start")]

    def __str__(self):
        return f"{self.tax_class}: {self.rate * 100:.2f}% from {self.valid_from}"


class PriceList(models.Model):
    """Prices that replace the list price for some channel and/or tier, possibly for a limited time.

    Of all lists that apply to a line, the lowest unit price for the line's quantity wins.
    """

    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True, help_text="Blank: every channel.")
    tier = models.ForeignKey(
        "crm.CustomerTier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Blank: every customer.",
    )
    # A sale list marks its prices as "on sale" (a tier discount may exclude sale items).
    is_sale = models.BooleanField(default=False)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, related_name="price_list_items")
    min_quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["price_list", "product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product", "min_quantity"], name="price_list_item_unique"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="price_list_item_min_quantity"),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="price_item_product")]

    def __str__(self):
        return f"{self.product_id} from {self.min_quantity}: {self.unit_price}"


class Promotion(models.Model):
    class Kind(models.TextChoices):
        LINE_PERCENT = "line_percent", "Percentage off matching items"
        LINE_FIXED = "line_fixed", "Amount off each matching item"
        ORDER_PERCENT = "order_percent", "Percentage off the order"
        ORDER_FIXED = "order_fixed", "Amount off the order"
        BUY_X_GET_Y = "buy_x_get_y", "Buy X get Y"
        SPEND_THRESHOLD = "spend_threshold", "Percentage off above a spend"
        FREE_SHIPPING = "free_shipping", "Free shipping"
        TIER_DISCOUNT = "tier_discount", "Discount-club tier"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Percent kinds: 10 = 10%; fixed kinds: an amount in the shop currency.
    value = models.DecimalField(max_digits=14, decimal_places=4, default=0, validators=[MinValueValidator(0)])
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    priority = models.IntegerField(default=0, help_text="Higher applies first.")
    is_exclusive = models.BooleanField(default=False, help_text="Never combined with any other promotion.")
    is_active = models.BooleanField(default=True)
    requires_coupon = models.BooleanField(default=False)
    channels = models.JSONField(default=list, blank=True, help_text="Channels it applies to; empty: all.")
    # Which items it applies to (line kinds, buy X get Y); nothing chosen: every item.
    products = models.ManyToManyField("inventory.Product", blank=True, related_name="promotions")
    categories = models.ManyToManyField("inventory.Category", blank=True, related_name="promotions")
    # Spend threshold and free shipping: the items' subtotal (after item discounts) must reach this.
    min_subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Buy X get Y: of every buy_quantity + get_quantity matching units, the cheapest get_quantity are
    # discounted by get_discount_percent (100 = free).
    buy_quantity = models.PositiveIntegerField(default=0)
    get_quantity = models.PositiveIntegerField(default=0)
    get_discount_percent = models.DecimalField(max_digits=7, decimal_places=4, default=100)
    # Tier discount and free shipping for a tier.
    tier = models.ForeignKey("crm.CustomerTier", null=True, blank=True, on_delete=models.PROTECT)
    exclude_sale_items = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["is_active", "ends_at"], name="promotion_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="promotion_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name


class Coupon(models.Model):
    code = models.CharField(max_length=40, help_text="Customers may type it in any case.")
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="coupons")
    batch = models.ForeignKey("CouponBatch", null=True, blank=True, on_delete=models.CASCADE, related_name="coupons")
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Blank: unlimited.")
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Blank: unlimited.")
    min_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Only this customer may use it.",
    )
    is_active = models.BooleanField(default=True)
    # Redemptions not released; changed only with a CouponRedemption row (pricing.services).
    times_used = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="coupon_code_unique_ci"),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="coupon_within_usage_limit",
            ),
        ]

    def __str__(self):
        return self.code


class CouponBatch(models.Model):
    """A run of generated unique codes for one promotion (e.g. 500 single-use codes for a mailing)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="coupon_batches")
    prefix = models.CharField(max_length=12)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.prefix}… x {self.size}"


class CouponRedemption(models.Model):
    """One use of a coupon by an order; released (not deleted) when the order is cancelled."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The order, as plain columns: pricing holds no foreign key to orders.
    source_type = models.CharField(max_length=50)
    source_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "source_type", "source_id"],
                condition=Q(released_at__isnull=True),
                name="coupon_redeemed_once_per_order",
            )
        ]
        indexes = [models.Index(fields=["coupon", "customer"], name="redemption_customer")]

    def __str__(self):
        return f"{self.coupon} by {self.source_type} {self.source_id}"


class CompetitorPrice(models.Model):
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, related_name="competitor_prices")
    competitor = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    url = models.URLField(blank=True)
    observed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["product", "price"]
        indexes = [models.Index(fields=["product", "-observed_at"], name="competitor_price_recent")]

    def __str__(self):
        return f"{self.competitor}: {self.price}"
