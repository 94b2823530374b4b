"""The Django admin of orders, for managers.

Orders are entered and changed in the staff UI (/orders/), where every change goes through
orders.services and the timeline. Here they are read-only (status, money and history included); the
only changes are two actions that call the lifecycle services, as the order page's buttons do.
Cancelling needs a reason, so it stays on the order's page. Warehouse priorities are plain settings
and are edited here.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from backoffice.admin import ReadOnlyAdmin
from orders.documents.sources import pdf_url
from orders.exceptions import OrderError
from orders.models import (
    Carrier,
    CarrierService,
    CreditNote,
    Document,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    RateBand,
    ReturnAuthorisation,
    ReturnLine,
    Shipment,
    ShippingZone,
    ShipStationAccount,
    ShipStationNotice,
    WarehousePriority,
)
from orders.services import lifecycle
from orders.shipstation.export import STATUS_MAPPING
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
    fields = ("position", "warehouse", "is_pickup", "shipping_method", "shipping_amount", "status", "carrier",
              "tracking_number", "shipped_at", "delivered_at")  # fmt: skip


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


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ("shipment_line", "quantity", "reason", "received_quantity", "condition", "bin", "value_amount")


@admin.register(ReturnAuthorisation)
class ReturnAuthorisationAdmin(ReadOnlyAdmin):
    """Returns are authorised, received and settled on the staff pages; here they are read-only."""

    list_display = ("number", "order", "status", "warehouse", "settlement", "settled_amount", "created_at",
                    "staff_page")  # fmt: skip
    list_filter = ("status", "settlement", "warehouse")
    search_fields = ("number", "order__number")
    ordering = ("-id",)
    readonly_fields = ("staff_page",)
    inlines = (ReturnLineInline,)

    @admin.display(description="Staff page")
    def staff_page(self, obj):
        return format_html('<a href="{}">Open</a>', reverse("orders:return-detail", args=[obj.number]))


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ("number", "order", "customer", "amount", "reason", "created_at", "created_by")
    search_fields = ("number", "order__number")
    ordering = ("-id",)


# --- carriers and table rates (orders.shipping): set up by managers ----------------------------------


class CarrierForm(forms.ModelForm):
    tracking_url = forms.URLField(
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text="The carrier's tracking page; {tracking} is replaced by the tracking number, e.g. "
        "https://track.example.com/?n={tracking}",
    )

    class Meta:
        model = Carrier
        fields = ("code", "name", "kind", "tracking_prefix", "tracking_url", "is_active")
        help_texts = {
            "tracking_prefix": "Table-rate carriers: tracking numbers start with it (default: the code's first "
            "four letters).",
        }

    def clean_tracking_prefix(self):
        return self.cleaned_data["tracking_prefix"].strip().upper()


class CarrierServiceInline(admin.TabularInline):
    model = CarrierService
    fields = ("code", "name", "transit_days", "is_active")
    extra = 0
    show_change_link = True


class ShippingZoneForm(forms.ModelForm):
    def clean_countries(self):
        countries = [code.strip().upper() for code in self.cleaned_data["countries"] if code.strip()]
        bad = [code for code in countries if len(code) != 2 or not code.isalpha()]
        if bad:
            raise ValidationError(f"Not two-letter country codes: {', '.join(bad)}.")
        return countries


class ShippingZoneInline(admin.TabularInline):
    model = ShippingZone
    form = ShippingZoneForm
    fields = ("position", "name", "countries")
    extra = 0
    show_change_link = True


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    """A carrier, its service levels and, for table rates, its zones; rates are set per service."""

    form = CarrierForm
    list_display = ("name", "code", "kind", "tracking_prefix", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    inlines = (CarrierServiceInline, ShippingZoneInline)


class RateBandFormSet(forms.BaseInlineFormSet):
    """A band joins a service and a zone of the same carrier."""

    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE"):
                continue
            service = data.get("service") or getattr(self.instance, "service", None)
            zone = data.get("zone") or getattr(self.instance, "zone", None)
            if isinstance(self.instance, CarrierService):
                service = self.instance
            if isinstance(self.instance, ShippingZone):
                zone = self.instance
            if service is not None and zone is not None and service.carrier_id != zone.carrier_id:
                form.add_error(None, f"{zone} belongs to another carrier than {service}.")


class RateBandInline(admin.TabularInline):
    model = RateBand
    formset = RateBandFormSet
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        request._rate_band_parent = obj  # the service or zone, for the choices below
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the zones (or services) of the carrier whose service (or zone) this is.
        parent = getattr(request, "_rate_band_parent", None)
        if parent is not None and db_field.name in ("zone", "service"):
            model = ShippingZone if db_field.name == "zone" else CarrierService
            kwargs["queryset"] = model.objects.filter(carrier_id=parent.carrier_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ServiceRateBandInline(RateBandInline):
    fields = ("zone", "max_weight_grams", "price_amount", "transit_days")


class ZoneRateBandInline(RateBandInline):
    fields = ("service", "max_weight_grams", "price_amount", "transit_days")


@admin.register(CarrierService)
class CarrierServiceAdmin(admin.ModelAdmin):
    """A service level with its table rates: per zone, the price of parcels up to each weight."""

    list_display = ("__str__", "code", "transit_days", "is_active")
    list_filter = ("carrier", "is_active")
    search_fields = ("name", "code", "carrier__name")
    inlines = (ServiceRateBandInline,)


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    form = ShippingZoneForm
    list_display = ("name", "carrier", "position", "country_list")
    list_filter = ("carrier",)
    inlines = (ZoneRateBandInline,)

    @admin.display(description="Countries")
    def country_list(self, obj):
        return ", ".join(obj.countries)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Invoices are issued by orders.services.invoicing (on shipping, or from the order's page) and
    never change; here they are read-only, with links to the document."""

    list_display = ("number", "order", "issued_at", "due_date", "total_amount", "created_by", "document")
    list_select_related = ("order", "created_by")
    search_fields = ("number", "order__number")
    date_hierarchy = "issued_at"
    ordering = ("-id",)
    readonly_fields = ("document",)

    @admin.display(description="Document")
    def document(self, obj):
        return format_html(
            '<a href="{}">View</a> · <a href="{}">PDF</a>',
            reverse("orders:invoice-html", args=[obj.order.number]),
            reverse("orders:invoice-pdf", args=[obj.order.number]),
        )


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """The PDFs kept of the documents, one row per version of what they print, made by workers
    (orders.services.documents); read-only. A failed one is retried from its page (Retry)."""

    list_display = ("title", "kind", "key", "version", "status", "attempts", "created_at", "rendered_at", "pdf")
    list_filter = ("kind", "status")
    search_fields = ("key", "title")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    readonly_fields = ("pdf",)

    @admin.display(description="PDF")
    def pdf(self, obj):
        return format_html('<a href="{}">Current version</a>', pdf_url(obj.kind, obj.key))


# --- ShipStation (orders.shipstation): the credentials it calls with, and what it sent ----------------


class ShipStationAccountForm(forms.ModelForm):
    """The password is typed here and stored hashed; it is never shown again."""

    new_password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The password to type into ShipStation's connection form. Stored hashed: leave blank to keep "
        "the current one.",
    )

    class Meta:
        model = ShipStationAccount
        fields = ("username", "new_password", "is_active")
        help_texts = {"username": "The username to type into ShipStation's connection form."}

    def clean(self):
        data = super().clean()
        if not data.get("new_password") and not self.instance.password:
            self.add_error("new_password", "Set a password.")
        return data

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            account.password = make_password(self.cleaned_data["new_password"])
        if commit:
            account.save()
        return account


@admin.register(ShipStationAccount)
class ShipStationAccountAdmin(admin.ModelAdmin):
    """The one account ShipStation's Custom Store connects with (SHIPSTATION_USERNAME and
    SHIPSTATION_PASSWORD, where set, take its place), with what to type into ShipStation."""

    form = ShipStationAccountForm
    list_display = ("username", "is_active", "updated_at")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ShipStationAccount.objects.exists()

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": ("username", "new_password", "is_active"), "description": self._guide(request)})]

    @staticmethod
    def _guide(request) -> str:
        endpoint = request.build_absolute_uri(reverse("shipstation:endpoint"))
        rows = format_html_join("", "<tr><th>{}</th><td><code>{}</code></td><td>{}</td></tr>", STATUS_MAPPING)
        override = (
            mark_safe(
                "<p><strong>SHIPSTATION_USERNAME and SHIPSTATION_PASSWORD are set on the server: they are the "
                "credentials in use, not this account's.</strong></p>"
            )
            if settings.SHIPSTATION_USERNAME
            else ""
        )
        return format_html(
            "{}<p>In ShipStation, add a <em>Custom Store</em>: URL to custom XML page <code>{}</code>, and this "
            "username and password. Then type these status names into its status fields (they are case "
            "sensitive):</p><table><thead><tr><th>ShipStation field</th><th>Our status</th><th>Meaning</th></tr>"
            "</thead><tbody>{}</tbody></table><p>Each shipment to an address is one ShipStation order (an order "
            "sent from two warehouses is two, numbered <code>&lt;order&gt;-1</code>, <code>-2</code>).</p>",
            override,
            endpoint,
            rows,
        )


@admin.register(ShipStationNotice)
class ShipStationNoticeAdmin(ReadOnlyAdmin):
    """Every shipnotify ShipStation sent, as received, and what became of it."""

    list_display = ("received_at", "outcome", "status_code", "order_number", "tracking_number", "shipment", "message")
    list_filter = ("outcome",)
    list_select_related = ("shipment__order",)
    search_fields = ("params__order_number", "params__tracking_number")
    date_hierarchy = "received_at"
    ordering = ("-id",)
    fields = ("received_at", "outcome", "status_code", "message", "shipment", "parcel", "params", "body")

    @admin.display(description="Order number")
    def order_number(self, obj):
        return (obj.params or {}).get("order_number", "")

    @admin.display(description="Tracking number")
    def tracking_number(self, obj):
        return (obj.params or {}).get("tracking_number", "")
