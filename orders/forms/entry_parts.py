"""The parts of the order entry screen, each a form: the header (`EntryForm`: channel, customer,
payment, coupons, notes), the add bar (`AddLineForm`, prefix "add": a SKU, barcode or name and a
quantity; Enter adds the line), the lines (`LineForm`, prefix "lines": a line's SKU and one quantity
per shipment, so that a line is split between shipments by typing in a grid), the shipments
(`ShipmentForm`, prefix "shipments": a delivery method and address, or a pick-up at a warehouse that
allows it) and an optional billing address (`BillingForm`, prefix "billing"). orders.forms.entry binds
them together."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.forms import formset_factory

from crm.exceptions import CrmError
from crm.normalise import default_region, normalise_country, normalise_email, normalise_phone, normalise_postal_code
from orders.forms.base import StaffForm
from orders.services.placement import AddressInput
from orders.states import PaymentMethod
from pricing.models import Channel

# Delivery methods and their charges come from settings.SHIPPING_METHODS ({"standard": 4.95, ...}),
# the one table the API prices its orders with too, until carriers and rate shopping arrive with
# fulfilment. A pick-up is free: its method is PICKUP followed by the warehouse's code.
PICKUP = "pickup:"
PICKUP_PRICE = Decimal("0.00")
MAX_SHIPMENTS = 6
MAX_LINES = 200
# Products the add bar's search lists as it is typed.
PRODUCT_MATCHES = 8
# Coupon codes are typed as a list: split on commas, semicolons and white space.
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


def method_label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def delivery_methods() -> dict[str, Decimal]:
    return dict(settings.SHIPPING_METHODS)


def split_codes(text: str) -> tuple[str, ...]:
    """The codes of a typed list, each once (the first spelling wins), in the order typed."""
    seen: dict[str, str] = {}
    for code in _CODE_SEPARATORS.split(text or ""):
        if code and code.upper() not in seen:
            seen[code.upper()] = code
    return tuple(seen.values())


def _normalised(normalise, value, **options):
    """Run a crm normaliser, its CrmError becoming the field's validation error."""
    try:
        return normalise(value, **options)
    except CrmError as error:
        raise forms.ValidationError(str(error)) from None


# --- the parts ------------------------------------------------------------------------------------


class EntryForm(StaffForm):
    channel = forms.ChoiceField(
        choices=Channel.choices, initial=Channel.PHONE, widget=forms.Select(attrs={"class": "live"})
    )
    # The chosen customer (a crm customer's id); blank for a customer without a record.
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # The customer whose details the page last filled in: when `customer` differs, the clerk has just
    # picked one, and their name, e-mail, phone and default addresses are filled in.
    customer_shown = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    customer_name = forms.CharField(max_length=200, required=False, label="Name")
    email = forms.CharField(
        max_length=254, required=False, label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.PREPAID, label="Payment")
    paid_reference = forms.CharField(
        max_length=120,
        required=False,
        label="Payment reference",
        help_text="A card payment taken now: the order is paid and need not wait.",
    )
    coupon_codes = forms.CharField(
        max_length=500,
        required=False,
        label="Coupon codes",
        widget=forms.TextInput(attrs={"class": "live", "autocomplete": "off", "spellcheck": "false"}),
    )
    external_id = forms.CharField(
        max_length=100, required=False, label="Channel's order id", help_text="A marketplace's own order number."
    )
    notes_customer = forms.CharField(
        required=False, label="Notes for the customer", widget=forms.Textarea(attrs={"rows": 2})
    )
    notes_internal = forms.CharField(required=False, label="Internal notes", widget=forms.Textarea(attrs={"rows": 2}))

    def clean_email(self):
        return _normalised(normalise_email, self.cleaned_data["email"])

    def clean_phone(self):
        return _normalised(normalise_phone, self.cleaned_data["phone"])

    def clean_coupon_codes(self):
        return split_codes(self.cleaned_data["coupon_codes"])

    def clean(self):
        data = super().clean()
        if data.get("paid_reference") and data.get("payment_method") != PaymentMethod.PREPAID:
            self.add_error("paid_reference", "Only a prepaid order has a payment reference.")
        if not data.get("customer") and not (data.get("customer_name") or "").strip():
            self.add_error("customer_name", "Pick a customer or type the customer's name.")
        return data


class AddLineForm(StaffForm):
    """The add bar: Enter adds what it names as a line (to the first shipment)."""

    sku = forms.CharField(
        max_length=100,
        required=False,
        label="Add a product",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "SKU, barcode or name"}
        ),
    )
    quantity = forms.IntegerField(
        min_value=1, initial=1, required=False, label="Quantity", widget=forms.NumberInput(attrs={"min": 1})
    )


class AddressForm(StaffForm):
    name = forms.CharField(max_length=200, required=False)
    company = forms.CharField(max_length=200, required=False)
    line1 = forms.CharField(max_length=200, required=False, label="Address")
    line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    city = forms.CharField(max_length=100, required=False, label="Town or city")
    region = forms.CharField(max_length=100, required=False, label="County or region")
    postal_code = forms.CharField(max_length=20, required=False, label="Postcode")
    country = forms.CharField(max_length=2, required=False, widget=forms.TextInput(attrs={"size": 2}))
    phone = forms.CharField(max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"}))

    ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")
    REQUIRED = ("name", "line1", "city", "country")

    def needs_address(self) -> bool:
        return True

    def clean(self):
        data = super().clean()
        if not self.needs_address() or self.errors:
            return data
        for name in self.REQUIRED:
            if not (data.get(name) or "").strip():
                self.add_error(name, "Required.")
        country = data.get("country", "")
        try:
            if country:
                data["country"] = country = normalise_country(country)
                data["postal_code"] = normalise_postal_code(data.get("postal_code", ""), country=country)
            data["phone"] = normalise_phone(data.get("phone", ""), region=country or None)
        except CrmError as error:
            self.add_error(error.field if error.field in self.fields else "phone", str(error))
        return data

    def address_input(self) -> AddressInput:
        data = self.cleaned_data
        return AddressInput(**{name: " ".join((data.get(name) or "").split()) for name in self.ADDRESS_FIELDS})


class BillingForm(AddressForm):
    """Optional: blank means the first delivery address."""

    def needs_address(self) -> bool:
        return any(
            (self.data.get(self.add_prefix(name)) or "").strip() for name in self.ADDRESS_FIELDS if name != "country"
        )


class ShipmentForm(AddressForm):
    method = forms.ChoiceField(label="Delivery")
    # Copy an address of the customer's address book into the fields (applied by the next update).
    address = forms.ChoiceField(required=False, label="From the address book")

    def __init__(self, *args, methods=(), book=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = list(methods)
        # A change of method changes the price (the live totals) and, for a pick-up, hides the address.
        self.fields["method"].widget.attrs["class"] = "live method"
        self.fields["address"].choices = [("", "—"), *book]
        self.fields["country"].initial = default_region()

    @property
    def method_value(self) -> str:
        return (self["method"].value() or "") if self.is_bound else (self.initial.get("method") or "")

    @property
    def is_pickup(self) -> bool:
        return self.method_value.startswith(PICKUP)

    def needs_address(self) -> bool:
        return not self.is_pickup


class LineForm(StaffForm):
    """One line: its SKU and how many go in each shipment (q0 for the first, q1 for the second...)."""

    sku = forms.CharField(max_length=64, widget=forms.HiddenInput)
    backorder = forms.BooleanField(
        required=False, label="Backorder", widget=forms.CheckboxInput(attrs={"class": "live"})
    )

    def __init__(self, *args, shipment_count=1, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(shipment_count):
            self.fields[f"q{number}"] = forms.IntegerField(
                min_value=0,
                max_value=100_000,
                required=False,
                label=f"Quantity in shipment {number + 1}",
                widget=forms.NumberInput(attrs={"min": 0, "class": "live qty", "inputmode": "numeric"}),
            )
        self.shipment_count = shipment_count

    @property
    def quantity_fields(self) -> list[forms.BoundField]:
        return [self[f"q{number}"] for number in range(self.shipment_count)]

    def clean(self):
        data = super().clean()
        quantities = [data.get(f"q{number}") or 0 for number in range(self.shipment_count)]
        if not any(f"q{number}" in self.errors for number in range(self.shipment_count)) and sum(quantities) < 1:
            self.add_error(None, "Give a quantity, or remove the line.")
        data["quantities"] = quantities
        return data


LineFormSet = formset_factory(LineForm, extra=0, max_num=MAX_LINES, absolute_max=MAX_LINES, validate_max=True)
ShipmentFormSet = formset_factory(
    ShipmentForm, extra=0, min_num=1, validate_min=True, max_num=MAX_SHIPMENTS, absolute_max=MAX_SHIPMENTS
)
