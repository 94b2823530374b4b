"""Orders, their lines, shipments, payments and timeline. Only orders/services/ writes them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from orders.states import HoldReason, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus
from pricing.models import Channel


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
        indexes = [
            models.Index(fields=["status", "-id"], name="order_status"),
            models.Index(fields=["customer", "-id"], name="order_customer"),
            models.Index(fields=["-placed_at"], name="order_placed"),
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="shipment_position_unique")]
        indexes = [models.Index(fields=["warehouse", "status"], name="shipment_queue")]

    def __str__(self):
        return f"{self.order.number}/{self.position}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()
    # Of the quantity, how many are reserved in the shipment's warehouse (the rest is backordered).
    reserved_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=models.F("quantity")), name="shipment_line_reserved_within"
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
