"""The Django admin of inventory, for managers: the catalogue, warehouses and bins are edited here.

Stock is not: levels and the ledger are read-only, because only inventory.services may change them
(a level saved here would no longer equal the sum of its movements). Reorder points are set on the
product page of the staff UI, which calls services.stock_level_set_reorder.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin import ReadOnlyAdmin
from inventory.models import (
    Bin,
    Category,
    KitComponent,
    Product,
    StockLevel,
    StockMovement,
    TaxClass,
    Warehouse,
)


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


class KitComponentInline(admin.TabularInline):
    model = KitComponent
    fk_name = "kit"
    extra = 0
    autocomplete_fields = ("component",)
    verbose_name = "component"
    verbose_name_plural = "components (kits only)"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "barcode", "category", "is_active", "is_kit", "cost_price", "list_price")
    list_filter = ("is_active", "is_kit", "category", "tax_class")
    # "^sku" is a case-insensitive prefix match (the upper(sku) pattern index), "=barcode" an exact one.
    search_fields = ("^sku", "=barcode", "name")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)
    # Counting the whole catalogue on every page of a large shop is slow and tells nobody anything.
    show_full_result_count = False
    list_per_page = 50
    inlines = (KitComponentInline,)
    readonly_fields = ("stock_page", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("sku", "name", "barcode", "category", "tax_class", "is_active", "is_kit")}),
        ("Prices", {"fields": ("cost_price", "list_price")}),
        ("Size and weight", {"fields": ("weight_kg", "length_cm", "width_cm", "height_cm")}),
        ("Stock", {"fields": ("stock_page", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        # The moving-average cost follows receipts (services.stock_receive); editing it would revalue
        # the stock on hand without a movement saying why.
        fields = (*fields, "cost_price")
        # A product with stock cannot become a kit (a kit has no stock of its own), nor the reverse.
        if obj.stock_levels.exists():
            fields = (*fields, "is_kit")
        return fields

    @admin.display(description="Stock")
    def stock_page(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("inventory:product-detail", args=[obj.pk])
        return format_html('<a href="{}">Levels, bins and movements in the staff pages</a>', url)


class BinInline(admin.TabularInline):
    model = Bin
    extra = 0
    fields = ("code", "pick_sequence", "is_quarantine", "is_active")
    show_change_link = True


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "country", "is_pickup_location", "is_active")
    list_filter = ("is_active", "is_pickup_location", "country")
    search_fields = ("code", "name", "city")
    inlines = (BinInline,)


@admin.register(Bin)
class BinAdmin(admin.ModelAdmin):
    list_display = ("code", "warehouse", "pick_sequence", "is_quarantine", "is_active")
    list_filter = ("warehouse", "is_quarantine", "is_active")
    search_fields = ("code",)
    list_select_related = ("warehouse",)
    ordering = ("warehouse__code", "pick_sequence", "code")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = (
        "product",
        "warehouse",
        "on_hand",
        "reserved",
        "available",
        "quarantined",
        "incoming",
        "reorder_point",
        "reorder_quantity",
        "updated_at",
    )
    list_filter = ("warehouse",)
    search_fields = ("^product__sku",)
    list_select_related = ("product", "warehouse")
    show_full_result_count = False
    ordering = ("product__sku", "warehouse__code")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "product",
        "warehouse",
        "bin",
        "kind",
        "quantity",
        "reason",
        "source",
        "actor",
    )
    list_filter = ("kind", "warehouse")
    search_fields = ("^product__sku", "=source_id", "reason")
    list_select_related = ("product", "warehouse", "bin__warehouse", "actor")
    show_full_result_count = False
    ordering = ("-id",)

    @admin.display(description="Source")
    def source(self, obj):
        return f"{obj.source_type} {obj.source_id}".strip()
