"""Catalogue, warehouses and bins, and the stock ledger with its balances.

Only inventory/services.py writes StockMovement, StockLevel and BinStock.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    RESERVATION = "reservation", "Reservation"
    RELEASE = "release", "Release"
    PICK = "pick", "Pick"
    SHIPMENT = "shipment", "Shipment"
    RETURN = "return", "Return to stock"
    QUARANTINE = "quarantine", "Quarantine"
    COUNT_CORRECTION = "count_correction", "Count correction"


# The StockLevel balance each kind changes (None: only the bin's stock, e.g. a pick moves units from a
# bin to the packing area of the same warehouse, where they stay on hand and reserved until shipped).
BALANCE_OF_KIND = {
    MovementKind.RECEIPT: "on_hand",
    MovementKind.ADJUSTMENT: "on_hand",
    MovementKind.TRANSFER_OUT: "on_hand",
    MovementKind.TRANSFER_IN: "on_hand",
    MovementKind.SHIPMENT: "on_hand",
    MovementKind.RETURN: "on_hand",
    MovementKind.COUNT_CORRECTION: "on_hand",
    MovementKind.RESERVATION: "reserved",
    MovementKind.RELEASE: "reserved",
    MovementKind.QUARANTINE: "quarantined",
    MovementKind.PICK: None,
}


class TaxClass(models.Model):
    """A product's tax category (standard, reduced, zero); pricing holds the rates per class."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "tax classes"

    def __str__(self):
        return self.name


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, help_text="Unique, compared without regard to case.")
    name = models.CharField(max_length=200)
    barcode = models.CharField(
        max_length=14, blank=True, default="", help_text="GTIN/EAN (8, 12, 13 or 14 digits); unique when set."
    )
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="products")
    weight_kg = models.DecimalField(max_digits=9, decimal_places=3, default=0, validators=[MinValueValidator(0)])
    length_cm = models.DecimalField(max_digits=7, decimal_places=1, default=0, validators=[MinValueValidator(0)])
    width_cm = models.DecimalField(max_digits=7, decimal_places=1, default=0, validators=[MinValueValidator(0)])
    height_cm = models.DecimalField(max_digits=7, decimal_places=1, default=0, validators=[MinValueValidator(0)])
    # Moving-average cost across all warehouses, updated by receipts (inventory.services).
    cost_price = models.DecimalField(max_digits=14, decimal_places=4, default=0, validators=[MinValueValidator(0)])
    list_price = models.DecimalField(max_digits=14, decimal_places=4, default=0, validators=[MinValueValidator(0)])
    is_active = models.BooleanField(default=True)
    # A kit has no stock of its own: it is made of its components (KitComponent).
    is_kit = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(Upper("sku"), name="product_sku_unique_ci"),
            models.UniqueConstraint(fields=["barcode"], condition=~Q(barcode=""), name="product_barcode_unique"),
        ]
        indexes = [
            # Search: SKU prefix (case-insensitive) and whole words of the name.
            models.Index(OpClass(Upper("sku"), name="text_pattern_ops"), name="product_sku_prefix"),
            GinIndex(SearchVector("name", config="simple"), name="product_name_search"),
            models.Index(fields=["updated_at", "id"], name="product_updated"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class KitComponent(models.Model):
    kit = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="used_in_kits")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="kit_component_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="kit_component_quantity_positive"),
            models.CheckConstraint(condition=~Q(kit=F("component")), name="kit_not_its_own_component"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.component.sku} in {self.kit.sku}"


class Warehouse(models.Model):
    code = models.SlugField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    line1 = models.CharField("address", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    is_pickup_location = models.BooleanField("customers can pick up here", default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Bin(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="bins")
    code = models.CharField(max_length=32, help_text="Aisle-shelf-bin, e.g. A-03-2")
    pick_sequence = models.PositiveIntegerField(default=0, help_text="Pickers walk bins in this order.")
    # Returned goods awaiting inspection; stock here is not sellable (StockLevel.quarantined).
    is_quarantine = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["warehouse", "pick_sequence", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique_per_warehouse")]

    def __str__(self):
        return f"{self.warehouse.code}/{self.code}"


class StockLevel(models.Model):
    """Balances of one product in one warehouse; changed only with the movements that explain them."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    quarantined = models.IntegerField(default=0)
    available = models.GeneratedField(
        expression=F("on_hand") - F("reserved"), output_field=models.IntegerField(), db_persist=True
    )
    # On open purchase orders; maintained by purchasing through inventory services.
    incoming = models.IntegerField(default=0)
    reorder_point = models.PositiveIntegerField(default=0, help_text="Alert when available falls below this.")
    reorder_quantity = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stock_level_unique"),
            # The database itself refuses an oversell, even if code is wrong.
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"),
            models.CheckConstraint(condition=Q(quarantined__gte=0), name="stock_quarantined_not_negative"),
            models.CheckConstraint(condition=Q(incoming__gte=0), name="stock_incoming_not_negative"),
        ]
        indexes = [
            models.Index(fields=["warehouse", "product"], name="stock_level_warehouse"),
            # Low stock: few rows, found without reading every level that has a reorder point.
            models.Index(
                fields=["warehouse", "product"],
                condition=Q(reorder_point__gt=0, available__lt=F("reorder_point")),
                name="stock_level_low",
            ),
            # Incremental stock sync (GET /api/v1/stock?updated_since=): the levels changed since a moment,
            # with their products, from the index alone.
            models.Index(fields=["updated_at", "product"], name="stock_level_updated"),
        ]

    def __str__(self):
        return f"{self.product.sku} @ {self.warehouse.code}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def is_low(self) -> bool:
        return self.available < self.reorder_point


class BinStock(models.Model):
    """Units of a product in one bin; the sum of the bin's movements."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="bin_stock")
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="stock")
    on_hand = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "bin"], name="bin_stock_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="bin_stock_not_negative"),
        ]
        indexes = [models.Index(fields=["bin", "product"], name="bin_stock_by_bin")]

    def __str__(self):
        return f"{self.product.sku} in {self.bin}: {self.on_hand}"


class StockMovement(models.Model):
    """One line of the immutable stock ledger. Rows are never updated or deleted (a database trigger
    refuses it); a mistake is corrected by a new movement.

    Each kind changes at most one balance of its StockLevel (BALANCE_OF_KIND);
    a movement with a bin also changes that bin's BinStock.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    bin = models.ForeignKey(Bin, null=True, blank=True, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=24, choices=MovementKind.choices)
    quantity = models.IntegerField(help_text="Signed change of the balance the kind affects.")
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    # The document that caused it, e.g. ("orders.order", "42"); plain columns, no FK to higher apps.
    source_type = models.CharField(max_length=50, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    # Movements posted by one service call share an operation id (a transfer's out and in, a count).
    operation = models.UUIDField(default=uuid.uuid4, db_index=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_not_zero")]
        indexes = [
            # Keyset pagination of a product's history, newest first.
            models.Index(fields=["product", "-id"], name="movement_product_history"),
            models.Index(fields=["source_type", "source_id"], name="movement_source"),
        ]

    def __str__(self):
        return f"{self.kind} {self.quantity:+d} {self.product.sku} @ {self.warehouse.code}"
