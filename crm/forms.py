"""Parsing and validation of the crm pages' input.

Forms never save: views pass `service_data()` to crm.services. The forms run the same normalisers as
the services (crm.normalise) so that every problem shows at once, beside its field; a CrmError the
service still raises (a duplicate e-mail address) is added back with `add_service_error`.
"""

from decimal import Decimal

from django import forms
from django.conf import settings

from crm import selectors
from crm.countries import COUNTRIES, COUNTRY_CHOICES
from crm.exceptions import CrmError
from crm.models import Address, Customer, CustomerTier
from crm.normalise import format_phone, normalise_country, normalise_email, normalise_phone, normalise_postal_code
from crm.services import MAX_CREDIT_LIMIT, MAX_PAYMENT_TERMS_DAYS, AddressData, CustomerData


class StaffForm(forms.Form):
    """Labels without the trailing colon, as everywhere else in the staff pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_error(self, error: CrmError) -> None:
        """Show a service's refusal beside the field it concerns, or above the form."""
        self.add_error(error.field if error.field in self.fields else None, str(error))


def _check(normalise, value, **kwargs):
    """Run a normaliser, turning its CrmError into the field's validation error."""
    try:
        return normalise(value, **kwargs)
    except CrmError as error:
        raise forms.ValidationError(str(error)) from None


# --- the list --------------------------------------------------------------------------------------


class CustomerFilterForm(StaffForm):
    q = forms.CharField(required=False, max_length=100, label="Search")
    kind = forms.ChoiceField(required=False, choices=[("", "Individuals and businesses"), *Customer.Kind.choices])
    tier = forms.ModelChoiceField(queryset=CustomerTier.objects.none(), required=False, empty_label="Any tier")
    inactive = forms.BooleanField(required=False, label="Inactive")
    # The id of the previous page's last customer; not shown, carried by the "next" link.
    after = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = selectors.tier_list()

    def selector_arguments(self) -> dict:
        """Arguments of selectors.customer_search; invalid input is ignored rather than refused."""
        data = self.cleaned_data if self.is_valid() else {}
        tier = data.get("tier")
        return {
            "query": data.get("q", ""),
            "kind": data.get("kind", ""),
            "tier_id": tier.pk if tier else None,
            "inactive": data.get("inactive", False),
            "after": data.get("after"),
        }


# --- customers -------------------------------------------------------------------------------------


class QuickCustomerForm(StaffForm):
    """Who the customer is and how to reach them: all the order entry screen asks for."""

    kind = forms.ChoiceField(choices=Customer.Kind.choices, initial=Customer.Kind.INDIVIDUAL)
    name = forms.CharField(max_length=200, help_text="A business's contact person.")
    company = forms.CharField(max_length=200, required=False, help_text="Required for a business.")
    email = forms.CharField(label="E-mail", max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False, help_text="Without a country code: a number in the UK.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.input_type = "email"
        self.fields["phone"].widget.input_type = "tel"
        region = settings.CRM_DEFAULT_PHONE_REGION
        if region != "GB":
            self.fields["phone"].help_text = f"Without a country code: a number in {COUNTRIES.get(region, region)}."

    def clean_email(self):
        return _check(normalise_email, self.cleaned_data["email"])

    def clean_phone(self):
        return _check(normalise_phone, self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if data.get("kind") == Customer.Kind.BUSINESS and not (data.get("company") or "").strip():
            self.add_error("company", "A business customer needs a company name.")
        return data

    def service_data(self) -> CustomerData:
        data = self.cleaned_data
        return CustomerData(
            kind=data["kind"], name=data["name"], company=data["company"], email=data["email"], phone=data["phone"]
        )


class CustomerForm(QuickCustomerForm):
    tier = forms.ModelChoiceField(queryset=CustomerTier.objects.none(), required=False, empty_label="No tier")
    payment_terms_days = forms.IntegerField(
        label="Payment terms (days)",
        min_value=0,
        max_value=MAX_PAYMENT_TERMS_DAYS,
        initial=0,
        help_text="0: pays in advance; 30: invoice due 30 days after it is issued.",
    )
    credit_limit_amount = forms.DecimalField(
        label="Credit limit",
        min_value=Decimal(0),
        max_value=MAX_CREDIT_LIMIT,
        max_digits=14,
        decimal_places=2,
        initial=Decimal(0),
        help_text="Most that may be owed on open invoices; 0: no credit.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = selectors.tier_list()

    @staticmethod
    def initial_for(customer: Customer) -> dict:
        return {
            "kind": customer.kind,
            "name": customer.name,
            "company": customer.company,
            "email": customer.email,
            "phone": format_phone(customer.phone),
            "tier": customer.tier_id,
            "payment_terms_days": customer.payment_terms_days,
            "credit_limit_amount": customer.credit_limit_amount,
            "notes": customer.notes,
        }

    def service_data(self) -> CustomerData:
        data = self.cleaned_data
        return CustomerData(
            kind=data["kind"],
            name=data["name"],
            company=data["company"],
            email=data["email"],
            phone=data["phone"],
            tier_id=data["tier"].pk if data["tier"] else None,
            payment_terms_days=data["payment_terms_days"],
            credit_limit_amount=data["credit_limit_amount"],
            notes=data["notes"],
        )


# --- addresses -------------------------------------------------------------------------------------


class AddressForm(StaffForm):
    label = forms.CharField(max_length=50, required=False, help_text="e.g. Home, Office")
    name = forms.CharField(max_length=200, required=False, help_text="Blank: the customer's name.")
    company = forms.CharField(max_length=200, required=False)
    line1 = forms.CharField(label="Address", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(label="Town or city", max_length=100)
    region = forms.CharField(label="County or region", max_length=100, required=False)
    postal_code = forms.CharField(label="Postcode", max_length=20, required=False)
    country = forms.ChoiceField(choices=COUNTRY_CHOICES)
    phone = forms.CharField(
        max_length=40, required=False, help_text="For the carrier; a number in the address's country."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.input_type = "tel"
        self.fields["country"].initial = settings.CRM_DEFAULT_PHONE_REGION

    @staticmethod
    def initial_for(address: Address) -> dict:
        initial = {name: getattr(address, name) for name in AddressData.__dataclass_fields__}
        initial["phone"] = format_phone(address.phone)
        return initial

    def clean(self):
        data = super().clean()
        country = data.get("country")
        if not country:
            return data
        try:
            data["country"] = normalise_country(country)
            data["postal_code"] = normalise_postal_code(data.get("postal_code", ""), country=data["country"])
        except CrmError as error:
            self.add_error(error.field, str(error))
        if "phone" in data:
            try:
                data["phone"] = normalise_phone(data["phone"], region=country)
            except CrmError as error:
                self.add_error("phone", str(error))
        return data

    def service_data(self) -> AddressData:
        return AddressData(**{name: self.cleaned_data[name] for name in AddressData.__dataclass_fields__})


class NewAddressForm(AddressForm):
    is_default_billing = forms.BooleanField(required=False, label="Default billing address")
    is_default_shipping = forms.BooleanField(required=False, label="Default shipping address")


class DefaultAddressForm(StaffForm):
    """Which default an address becomes: the buttons of the address book post one of these."""

    use = forms.ChoiceField(choices=[("billing", "billing"), ("shipping", "shipping"), ("both", "both")])

    def service_arguments(self) -> dict:
        use = self.cleaned_data["use"]
        return {"billing": use in ("billing", "both"), "shipping": use in ("shipping", "both")}
