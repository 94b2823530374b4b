"""Orders, their lines, shipments, payments, timeline and warehouse priorities."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast

from orders.states import (
    HoldReason,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ShipmentStatus,
)
from pricing.models import Channel

PLACED_DAY = Cast(
    models.Func(models.Value("UTC"), "placed_at", function="timezone", output_field=models.DateTimeField()),
    models.DateField(),
)


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # The channel's own id for the order (a storefront's order id): a second import is refused.
    external_id = models.CharField(max_length=100, blank=True)
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    # Who ordered, as they were when they ordered (the customer record may change later).
    customer_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    currency = models.CharField(max_length=3)
    prices_include_tax = models.BooleanField()
    subtotal_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    shipping_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    coupon_codes = models.JSONField(default=list, blank=True)
    # The engine's order-level adjustments and explanations, as shown when the order was priced.
    pricing = models.JSONField(default=dict, blank=True)
    notes_customer = models.TextField("notes for the customer", blank=True)
    notes_internal = models.TextField("internal notes", blank=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~Q(external_id=""), name="order_external_id_per_channel"
            ),
        ]
        # The order list (orders.selectors.order_list) reads its pages through these; each filter's index
        # ends in id, the page order. Migration 0003 adds statistics on how the filter columns go together.
        indexes = [
            models.Index(fields=["status", "-id"], name="order_status"),
            models.Index(fields=["customer", "-id"], name="order_customer"),
            # Two filters together are one range of one of these (channel, payment and status pairwise), so
            # a combination nobody has (walk-in orders unpaid) is found empty at once.
            models.Index(fields=["channel", "status", "-id"], name="order_channel"),
            models.Index(fields=["channel", "payment_status", "-id"], name="order_channel_payment"),
            models.Index(fields=["payment_status", "status", "-id"], name="order_payment"),
            models.Index(fields=["hold_reason", "-id"], condition=~Q(hold_reason=""), name="order_hold_reason"),
            # The first and last id of each day, for the bounds of a date range: (placed_at AT TIME ZONE
            # 'UTC')::date, a day that does not change with the TIME_ZONE setting.
            models.Index(PLACED_DAY, "id", name="order_placed_day"),
            # Search: the words of the name, the e-mail address's prefix (with the id, read from the index
            # alone), and the channel's own order id across channels.
            GinIndex(SearchVector("customer_name", config="simple"), name="order_name_search"),
            models.Index(fields=["email"], opclasses=["text_pattern_ops"], include=["id"], name="order_email_prefix"),
            models.Index(fields=["external_id"], condition=~Q(external_id=""), name="order_external_id"),
            # What changed since a moment: ShipStation's export window (orders.shipstation.export).
            models.Index(fields=["updated_at"], name="order_updated"),
        ]

    def __str__(self):
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="order_lines")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    # Of the quantity, how many wait for stock (reserved when it arrives, in order of placement).
    backordered_quantity = models.PositiveIntegerField(default=0)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    price_source = models.CharField(max_length=120, blank=True)
    base_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Each adjustment's amount and explanation, from the pricing engine.
    adjustments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(backordered_quantity__lte=models.F("quantity")), name="order_line_backorder_within_quantity"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"


class Shipment(models.Model):
    """What leaves one warehouse for one address (or waits there for pick-up)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    position = models.PositiveSmallIntegerField()
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="shipments")
    is_pickup = models.BooleanField(default=False)
    ship_to = models.JSONField(default=dict, blank=True)
    shipping_method = models.CharField(max_length=60, blank=True)
    shipping_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    # The carrier service chosen for it (rate shopping, or staff): its parcels go with it.
    service = models.ForeignKey(
        "CarrierService", null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    # The date the customer was promised it by (rate shopping picks a service that arrives in time).
    promised_date = models.DateField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=[(0, "Normal"), (1, "High"), (2, "Urgent")], default=0)
    # Why it came back to the fulfilment queue (a short pick, a failed label), for whoever takes it next.
    queue_note = models.CharField(max_length=300, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="shipment_position_unique")]
        indexes = [
            models.Index(fields=["warehouse", "status"], name="shipment_queue"),
            # The order list's warehouse filter: a warehouse's shipments, newest order first.
            models.Index(fields=["warehouse", "order"], name="shipment_warehouse_order"),
            models.Index(fields=["updated_at"], name="shipment_updated"),
        ]

    def __str__(self):
        return f"{self.order.number}/{self.position}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()
    # Of the quantity, how many are reserved in the shipment's warehouse (the rest is backordered).
    reserved_quantity = models.PositiveIntegerField(default=0)
    # Of the quantity, how many were picked from their bins (on a pick list) and wait to be packed.
    picked_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=models.F("quantity")), name="shipment_line_reserved_within"
            ),
            models.CheckConstraint(
                condition=Q(picked_quantity__lte=models.F("quantity")), name="shipment_line_picked_within"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.order_line.sku}"


class Payment(models.Model):
    class Kind(models.TextChoices):
        AUTHORISATION = "authorisation", "Authorisation"
        CAPTURE = "capture", "Payment received"
        COD_COLLECTED = "cod_collected", "Collected by the carrier"
        REFUND = "refund", "Refund"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reference = models.CharField(max_length=120, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} on {self.order_id}"


class OrderEvent(models.Model):
    """The order's timeline: who did what when, with the values before and after."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return f"{self.order_id}: {self.message}"


class WarehousePriority(models.Model):
    """Which warehouse ships first to a region: lower numbers first. Without a row for the
    destination, warehouses rank by their priority for the country, then by code."""

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    region = models.CharField(max_length=100, blank=True, help_text="Blank: the whole country.")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.CASCADE, related_name="priorities")
    priority = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["country", "region", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region", "warehouse"], name="warehouse_priority_unique")
        ]

    def __str__(self):
        return f"{self.country}/{self.region or '*'}: {self.warehouse_id} ({self.priority})"
