"""Fulfilment: carriers and rates, pick lists, parcels and labels, tracking events."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from orders.models.orders import Shipment, ShipmentLine


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
    # The carrier and service as an outside shipping tool named them (ShipStation's shipnotify: open
    # strings such as "UPS" and "Ground"). A parcel without a service of ours goes by these: shipping it,
    # the customer's e-mail and the tracking link (a carrier of ours with that code or name) use them.
    carrier_name = models.CharField(max_length=60, blank=True)
    service_name = models.CharField(max_length=100, blank=True)
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
    """What a carrier said about a parcel, once per event id and parcel (a repeated event is ignored;
    carriers number their events each in their own way, so one id may come from two carriers)."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Exception"
        RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"

    event_id = models.CharField(max_length=100)
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=20, choices=Status.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["parcel", "occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["parcel", "event_id"], name="tracking_event_once_per_parcel")]

    def __str__(self):
        return f"{self.parcel}: {self.status} at {self.occurred_at}"
