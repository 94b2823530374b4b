"""Orders, their lines, shipments, payments and timeline. Only orders/services/ writes them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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
    ReturnCondition,
    ReturnReason,
    ReturnStatus,
    Settlement,
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


class ReturnAuthorisation(models.Model):
    """An RMA: units of shipped shipments the customer may send back, then what came back and how the
    customer was paid back."""

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.AUTHORISED)
    note = models.TextField(blank=True)
    # Where the goods come back to (a warehouse that shipped them, usually).
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    settlement = models.CharField(max_length=8, choices=Settlement.choices, blank=True)
    settled_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    settlement_reference = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["order", "status"], name="return_order")]

    def __str__(self):
        return self.number


class ReturnLine(models.Model):
    rma = models.ForeignKey(ReturnAuthorisation, on_delete=models.CASCADE, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    received_quantity = models.PositiveIntegerField(default=0)
    condition = models.CharField(max_length=10, choices=ReturnCondition.choices, blank=True)
    # The bin the units went back to (a quarantine bin for damaged ones).
    bin = models.ForeignKey("inventory.Bin", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What the received units are worth to the customer: their share of the line total, tax included.
    value_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["rma", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rma", "shipment_line"], name="return_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")), name="return_line_received_within"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.shipment_line_id}"


class CreditNote(models.Model):
    """Money owed back to a customer, set against what they owe on account (or paid out later)."""

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rma = models.OneToOneField(
        ReturnAuthorisation, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive")]

    def __str__(self):
        return self.number


# --- fulfilment: carriers and rates, pick lists, parcels and labels, tracking, invoices ------------


class Carrier(models.Model):
    """A way parcels leave the warehouse. The kind names the adapter (orders.shipping.carriers) that
    quotes rates, creates and cancels labels and reads tracking events for it."""

    class Kind(models.TextChoices):
        TABLE_RATE = "table_rate", "Table rates (configured here)"
        MANUAL = "manual", "Manual (staff type the tracking number)"
        PICKUP = "pickup", "Store pick-up"

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Where tracking numbers of table-rate labels start (they are issued in sequence, per carrier).
    tracking_prefix = models.CharField(max_length=10, blank=True)
    # How customers can follow a parcel: {tracking} is replaced by the tracking number.
    tracking_url = models.URLField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class CarrierService(models.Model):
    """A service level of a carrier (e.g. Standard, Express), with its usual transit time."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="services")
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=100)
    transit_days = models.PositiveSmallIntegerField(default=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["carrier", "transit_days", "name"]
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="carrier_service_code_unique")]

    def __str__(self):
        return f"{self.carrier.name} {self.name}"


class ShippingZone(models.Model):
    """Destinations a table-rate carrier prices alike: a set of countries (the first zone that lists
    the destination country wins, lowest position first)."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(max_length=100)
    countries = ArrayField(models.CharField(max_length=2), help_text="ISO 3166-1 alpha-2 codes")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["carrier", "position", "name"]

    def __str__(self):
        return f"{self.carrier.name}: {self.name}"


class RateBand(models.Model):
    """A table rate: what a service charges to a zone for parcels up to a weight."""

    service = models.ForeignKey(CarrierService, on_delete=models.CASCADE, related_name="rates")
    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="rates")
    max_weight_grams = models.PositiveIntegerField(
        help_text="Parcels up to this weight (the previous band's limit excluded)."
    )
    price_amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Blank: the service's usual transit time.
    transit_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["service", "zone", "max_weight_grams"]
        constraints = [
            models.UniqueConstraint(fields=["service", "zone", "max_weight_grams"], name="rate_band_unique"),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="rate_band_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.service} to {self.zone.name} up to {self.max_weight_grams} g: {self.price_amount}"


class PickList(models.Model):
    """The units of a batch of shipments to fetch from one warehouse's bins, in walking order."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Picked"

    number = models.CharField(max_length=20, unique=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    shipments = models.ManyToManyField(Shipment, related_name="pick_lists")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["warehouse", "status"], name="pick_list_open")]

    def __str__(self):
        return self.number


class PickLine(models.Model):
    """One stop of a pick list: a product from a bin (no bin: units on hand in no bin), for the
    shipments of the list together."""

    pick_list = models.ForeignKey(PickList, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField()
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey("inventory.Bin", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    picked_quantity = models.PositiveIntegerField(null=True, blank=True)
    short_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pick_list", "sequence"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="pick_line_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} x {self.product_id} from {self.bin_id}"


class Parcel(models.Model):
    """A box that leaves: what is in it, its weight and package, the carrier service that takes it,
    its label and tracking number, and where it is now."""

    class PackageType(models.TextChoices):
        ENVELOPE = "envelope", "Envelope"
        SMALL_BOX = "small_box", "Small box"
        MEDIUM_BOX = "medium_box", "Medium box"
        LARGE_BOX = "large_box", "Large box"
        PALLET = "pallet", "Pallet"

    class LabelStatus(models.TextChoices):
        NONE = "none", "No label"
        PENDING = "pending", "Label being created"
        CREATED = "created", "Label ready"
        FAILED = "failed", "Label failed"
        CANCELLED = "cancelled", "Label cancelled"

    class Status(models.TextChoices):
        PACKED = "packed", "Packed"
        SHIPPED = "shipped", "Shipped"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Delivery problem"
        RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="parcels")
    position = models.PositiveSmallIntegerField()
    package_type = models.CharField(max_length=12, choices=PackageType.choices, default=PackageType.MEDIUM_BOX)
    weight_grams = models.PositiveIntegerField()
    service = models.ForeignKey(CarrierService, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rate_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    label_status = models.CharField(max_length=10, choices=LabelStatus.choices, default=LabelStatus.NONE)
    label_error = models.TextField(blank=True)
    label_attempts = models.PositiveSmallIntegerField(default=0)
    label_file = models.FileField(upload_to="labels/%Y/%m/", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PACKED)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shipment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "position"], name="parcel_position_unique"),
            models.UniqueConstraint(
                fields=["tracking_number"], condition=~Q(tracking_number=""), name="parcel_tracking_unique"
            ),
            models.CheckConstraint(condition=Q(weight_grams__gte=1), name="parcel_weight_positive"),
        ]

    def __str__(self):
        return f"{self.shipment}/{self.position}"


class ParcelItem(models.Model):
    """Units of a shipment line packed into a parcel."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="items")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.CASCADE, related_name="parcel_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parcel", "shipment_line"], name="parcel_item_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="parcel_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.shipment_line_id} in {self.parcel_id}"


class TrackingEvent(models.Model):
    """What a carrier said about a parcel, once per event id (a repeated event is ignored)."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Exception"
        RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"

    event_id = models.CharField(max_length=100, unique=True)
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=20, choices=Status.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["parcel", "occurred_at", "id"]

    def __str__(self):
        return f"{self.parcel}: {self.status} at {self.occurred_at}"


class Invoice(models.Model):
    """The bill for an order, numbered gapless per year, with the order as it was when issued."""

    number = models.CharField(max_length=20, unique=True)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField()
    due_date = models.DateField()
    payment_terms_days = models.PositiveSmallIntegerField(default=0)
    # Seller and buyer as they were: a later change of address does not change an issued invoice.
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    # The order's lines, discounts and tax breakdown as invoiced (an issued invoice never changes).
    lines = models.JSONField(default=list)
    # The order-level and shipping discounts with their explanations (item discounts sit on their lines).
    discounts = models.JSONField(default=list, blank=True)
    tax_breakdown = models.JSONField(default=list)
    subtotal_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2)
    shipping_amount = models.DecimalField(max_digits=14, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.number


class ShipStationAccount(models.Model):
    """The credentials ShipStation's Custom Store uses to call us (HTTP Basic). One row; the
    SHIPSTATION_USERNAME and SHIPSTATION_PASSWORD environment variables, where set, take its place."""

    username = models.CharField(max_length=100)
    # Hashed like a user's password (django.contrib.auth.hashers).
    password = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"ShipStation ({self.username})"
