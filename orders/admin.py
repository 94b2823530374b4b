"""The Django admin of orders, for managers.

Orders are entered and changed in the staff UI (/orders/), where every change goes through
orders.services and the timeline. Here they are read-only (status, money and history included); the
only changes are two actions that call the lifecycle services, as the order page's buttons do.
Cancelling needs a reason, so it stays on the order's page. Warehouse priorities are plain settings
and are edited here.
"""

from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin import ReadOnlyAdmin
from orders.exceptions import OrderError
from orders.models import Order, OrderEvent, OrderLine, Payment, Shipment, WarehousePriority
from orders.services import lifecycle
from orders.states import HoldReason


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("position", "sku", "name", "quantity", "backordered_quantity", "unit_price", "discount_amount",
              "total_amount", "tax_amount")  # fmt: skip


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ("position", "warehouse", "is_pickup", "shipping_method", "shipping_amount", "status")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("created_at", "kind", "method", "amount", "reference", "actor")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "actor", "kind", "message", "old_value", "new_value")
    verbose_name_plural = "timeline"


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "placed_at", "customer_name", "channel", "status", "hold_reason", "payment_status",
                    "total_amount", "staff_page")  # fmt: skip
    list_filter = ("status", "channel", "payment_status", "hold_reason")
    search_help_text = "An exact order number, channel's order id or e-mail address (the staff list searches names)."
    search_fields = ("number",)
    list_per_page = 50
    # Counting a million orders for "(1,000,000 total)" costs more than the page.
    show_full_result_count = False
    ordering = ("-id",)
    readonly_fields = ("staff_page",)
    inlines = (OrderLineInline, ShipmentInline, PaymentInline, OrderEventInline)
    actions = ("hold", "release")

    def has_hold_permission(self, request):
        return request.user.has_perm("orders.change_order")

    def get_search_results(self, request, queryset, search_term):
        """Exact matches only, each answered by an index (an icontains search reads every order)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(number=term.upper()) | Q(external_id=term) | Q(email=term.lower())), False

    @admin.display(description="Staff page")
    def staff_page(self, obj):
        return format_html('<a href="{}">Open</a>', reverse("orders:order-detail", args=[obj.number]))

    @admin.action(description="Put the selected orders on a manual hold", permissions=["hold"])
    def hold(self, request, queryset):
        self._each(
            request, queryset, "put on hold", lifecycle.order_hold, reason=HoldReason.MANUAL, note="from the admin"
        )

    @admin.action(description="Release the selected orders' holds", permissions=["hold"])
    def release(self, request, queryset):
        self._each(request, queryset, "released", lifecycle.order_release_hold)

    def _each(self, request, queryset, done: str, service, **arguments) -> None:
        """Call the service for each order in turn (each in its own transaction); say which were refused."""
        changed = 0
        for order in queryset.only("id", "number").order_by("pk"):
            try:
                service(order_id=order.pk, actor=request.user, **arguments)
            except OrderError as error:
                self.message_user(request, f"{order.number}: {error}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} order(s) {done}.", messages.SUCCESS)


@admin.register(WarehousePriority)
class WarehousePriorityAdmin(admin.ModelAdmin):
    list_display = ("country", "region", "warehouse", "priority")
    list_filter = ("country", "warehouse")
    ordering = ("country", "region", "priority")
