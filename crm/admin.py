"""The Django admin of crm, for managers: tiers are edited here, customers looked up and corrected.

Customers are saved through crm.services like the staff UI's (normalised e-mail and phone, the duplicate
guard); addresses are shown read-only, because the default flags move only through
services.address_set_default: edit the address book on the customer's staff page.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from crm import selectors, services
from crm.exceptions import CrmError
from crm.models import Address, Customer, CustomerTier
from crm.normalise import normalise_email, normalise_phone


@admin.register(CustomerTier)
class CustomerTierAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "rank")
    search_fields = ("name", "code")


class AddressInline(admin.StackedInline):
    model = Address
    fields = ("label", "__str__", "country", "is_default_billing", "is_default_shipping")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "addresses (edit the address book on the customer's staff page)"


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = (
            "kind",
            "name",
            "company",
            "email",
            "phone",
            "tier",
            "payment_terms_days",
            "credit_limit_amount",
            "notes",
            "is_active",
        )

    def clean_email(self):
        return self._normalised(normalise_email, self.cleaned_data["email"])

    def clean_phone(self):
        return self._normalised(normalise_phone, self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        other = selectors.customer_by_email(email=data.get("email") or "")
        if other is not None and other.pk != self.instance.pk:
            self.add_error("email", f"{other.email} already belongs to {other} (customer no. {other.pk}).")
        return data

    @staticmethod
    def _normalised(normalise, value):
        try:
            return normalise(value)
        except CrmError as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ("name", "company", "kind", "email", "phone", "tier", "payment_terms_days", "is_active")
    list_filter = ("is_active", "kind", "tier")
    # "^email" and "^phone" are prefix matches; phones are stored in E.164 (+44...).
    search_fields = ("name", "company", "^email", "^phone")
    list_select_related = ("tier",)
    show_full_result_count = False
    list_per_page = 50
    inlines = (AddressInline,)
    readonly_fields = ("staff_page", "created_at", "updated_at")

    @admin.display(description="Staff page")
    def staff_page(self, obj):
        if obj.pk is None:
            return "—"
        return format_html('<a href="{}">Address book and orders</a>', reverse("crm:customer-detail", args=[obj.pk]))

    def save_model(self, request, obj, form, change):
        data = services.CustomerData(
            kind=obj.kind,
            name=obj.name,
            company=obj.company,
            email=obj.email,
            phone=obj.phone,
            tier_id=obj.tier_id,
            payment_terms_days=obj.payment_terms_days,
            credit_limit_amount=obj.credit_limit_amount,
            notes=obj.notes,
        )
        if change:
            services.customer_update(customer_id=obj.pk, data=data)
        else:
            obj.pk = services.customer_create(data=data).pk
        services.customer_set_active(customer_id=obj.pk, is_active=obj.is_active)
        obj.refresh_from_db()
