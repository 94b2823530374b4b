"""Promotions (with the terms each kind uses) and their coupon codes."""

from decimal import Decimal

from django import forms
from django.urls import reverse_lazy

from inventory.models import Category
from pricing import selectors
from pricing.forms.fields import (
    CustomerField,
    Form,
    SkuListField,
    check_dates,
    datetime_field,
    default_zero,
    money_field,
    plain_number,
    tier_field,
)
from pricing.models import Channel, Promotion
from pricing.services import COUPON_CODE_PATTERN

Kind = Promotion.Kind

# --- promotions -----------------------------------------------------------------------------------

PERCENT_KINDS = {Kind.LINE_PERCENT, Kind.ORDER_PERCENT, Kind.SPEND_THRESHOLD, Kind.TIER_DISCOUNT}
AMOUNT_KINDS = {Kind.LINE_FIXED, Kind.ORDER_FIXED}
TARGETS = ("products", "categories", "exclude_sale_items")
# The terms each kind uses; the form shows only these, and the others are saved at their defaults so a
# promotion switched to another kind keeps no stale terms the engine might still read.
KIND_FIELDS = {
    Kind.LINE_PERCENT: ("value", *TARGETS),
    Kind.LINE_FIXED: ("value", *TARGETS),
    Kind.ORDER_PERCENT: ("value", *TARGETS),
    Kind.ORDER_FIXED: ("value", *TARGETS),
    Kind.BUY_X_GET_Y: ("buy_quantity", "get_quantity", "get_discount_percent", *TARGETS),
    Kind.SPEND_THRESHOLD: ("min_subtotal", "value", *TARGETS),
    # The engine ignores targets for free shipping: it takes the whole shipping charge off.
    Kind.FREE_SHIPPING: ("min_subtotal", "tier"),
    Kind.TIER_DISCOUNT: ("tier", "value", *TARGETS),
}
TERM_DEFAULTS = {
    "value": Decimal(0),
    "min_subtotal": Decimal(0),
    "buy_quantity": 0,
    "get_quantity": 0,
    "get_discount_percent": Decimal(100),
    "tier": None,
    "products": [],
    "categories": [],
    "exclude_sale_items": False,
}


class PromotionForm(Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(
        choices=Kind.choices,
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("pricing:promotion-kind-fields"),
                "hx-target": "#kind-fields",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
                # A GET puts what it sends in the address (and so in logs): not the CSRF token.
                "hx-params": "not csrfmiddlewaretoken",
            }
        ),
    )
    starts_at = datetime_field("Starts")
    ends_at = datetime_field("Ends")
    priority = forms.IntegerField(initial=0, help_text="Higher applies first.")
    requires_coupon = forms.BooleanField(required=False, label="Only with a coupon code")
    is_exclusive = forms.BooleanField(required=False, label="Exclusive: never combined with others")
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every channel.",
    )
    # Kind-specific terms (KIND_FIELDS).
    value = forms.DecimalField(max_digits=14, decimal_places=4, min_value=Decimal(0))
    min_subtotal = money_field("Minimum spend", help_text="Items' subtotal after item discounts.")
    buy_quantity = forms.IntegerField(min_value=1, label="Buy (X)")
    get_quantity = forms.IntegerField(min_value=1, label="Get (Y)")
    get_discount_percent = forms.DecimalField(
        max_digits=7,
        decimal_places=4,
        initial=100,
        label="Discount on the Y items (%)",
        help_text="100 = free; the cheapest matching items are discounted.",
    )
    tier = tier_field("Every tier")
    products = SkuListField(required=False, label="Products (SKUs)", help_text="Separated by commas or spaces.")
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exclude_sale_items = forms.BooleanField(required=False, label="Not on items already on sale")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = self._chosen_kind()
        self.kind_label = Kind(self.kind).label
        for name in TERM_DEFAULTS:
            if name not in KIND_FIELDS[self.kind]:
                del self.fields[name]
        if "value" in self.fields:
            self._label_value()
        if "tier" in self.fields and self.kind == Kind.TIER_DISCOUNT:
            self.fields["tier"].required = True
            self.fields["tier"].empty_label = "—"
        if "min_subtotal" in self.fields and self.kind == Kind.FREE_SHIPPING:
            self.fields["min_subtotal"].required = False
            self.fields["min_subtotal"].initial = Decimal(0)

    def _chosen_kind(self) -> str:
        value = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return value if value in KIND_FIELDS else Kind.LINE_PERCENT

    def _label_value(self) -> None:
        field = self.fields["value"]
        if self.kind in PERCENT_KINDS:
            field.label, field.help_text = "Percentage off", "10 = 10%."
            field.widget.attrs.update(max=100)
        else:
            field.label = "Amount off each item" if self.kind == Kind.LINE_FIXED else "Amount off the order"
            field.help_text = "In the shop currency."

    @classmethod
    def initial_for(cls, promotion: Promotion) -> dict:
        """The form's values for an existing promotion."""
        return {
            "name": promotion.name,
            "kind": promotion.kind,
            "starts_at": promotion.starts_at,
            "ends_at": promotion.ends_at,
            "priority": promotion.priority,
            "requires_coupon": promotion.requires_coupon,
            "is_exclusive": promotion.is_exclusive,
            "channels": list(promotion.channels or ()),
            "value": plain_number(promotion.value),
            "min_subtotal": promotion.min_subtotal,
            "buy_quantity": promotion.buy_quantity or None,
            "get_quantity": promotion.get_quantity or None,
            "get_discount_percent": plain_number(promotion.get_discount_percent),
            "tier": promotion.tier_id,
            "products": " ".join(p.sku for p in promotion.products.order_by("sku")),
            "categories": [c.pk for c in promotion.categories.all()],
            "exclude_sale_items": promotion.exclude_sale_items,
        }

    @classmethod
    def initial_from_query(cls, query) -> dict:
        """What the form held when its kind changed (sent by htmx), to show again under the new kind."""
        many = ("channels", "categories")
        return {name: query.getlist(name) if name in many else query.get(name) for name in query}

    def kind_fields(self) -> list[forms.BoundField]:
        """The kind's terms, in the order KIND_FIELDS gives, for the swapped fieldset."""
        return [self[name] for name in KIND_FIELDS[self.kind]]

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get("value")
        if value is not None and value <= 0:
            self.add_error("value", "Enter more than 0.")
        elif value is not None and self.kind in PERCENT_KINDS and value > 100:
            self.add_error("value", "A percentage is at most 100.")
        if self.kind == Kind.SPEND_THRESHOLD and cleaned.get("min_subtotal") == 0:
            self.add_error("min_subtotal", "Enter the spend the discount starts at.")
        percent = cleaned.get("get_discount_percent")
        if percent is not None and not 0 < percent <= 100:
            self.add_error("get_discount_percent", "Enter a percentage above 0 and at most 100.")
        check_dates(self, "starts_at", "ends_at", "The promotion must end after it starts.")
        return cleaned

    def service_arguments(self) -> dict:
        """Keyword arguments of services.promotion_create and promotion_update."""
        data = {**TERM_DEFAULTS, **self.cleaned_data}
        if data["min_subtotal"] is None:
            data["min_subtotal"] = Decimal(0)
        return {
            "name": data["name"],
            "kind": data["kind"],
            "value": data["value"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "priority": data["priority"],
            "is_exclusive": data["is_exclusive"],
            "requires_coupon": data["requires_coupon"],
            "channels": list(data["channels"]),
            "min_subtotal": data["min_subtotal"],
            "buy_quantity": data["buy_quantity"],
            "get_quantity": data["get_quantity"],
            "get_discount_percent": data["get_discount_percent"],
            "tier_id": data["tier"].pk if data["tier"] else None,
            "exclude_sale_items": data["exclude_sale_items"],
            "product_ids": [p.pk for p in data["products"]],
            "category_ids": [c.pk for c in data["categories"]],
        }


class PromotionFilterForm(Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    state = forms.ChoiceField(choices=[("", "Any state"), *selectors.PROMOTION_STATES], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Kind.choices], required=False)

    def selector_arguments(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {"query": data.get("q", ""), "state": data.get("state", ""), "kind": data.get("kind", "")}


# --- coupons --------------------------------------------------------------------------------------


def _limit_field(label: str, help_text: str = "Blank: unlimited.", **kwargs) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, required=False, label=label, help_text=help_text, **kwargs)


class CouponForm(Form):
    code = forms.CharField(
        max_length=40,
        help_text="Letters, digits, - and _. Customers may type it in any case.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    usage_limit = _limit_field("Uses in all")
    per_customer_limit = _limit_field("Uses per customer")
    min_spend = money_field("Minimum spend", required=False, initial=Decimal(0))
    valid_from = datetime_field("Valid from")
    valid_until = datetime_field("Valid until")
    customer = CustomerField(label="Only for customer")

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not COUPON_CODE_PATTERN.fullmatch(code):
            raise forms.ValidationError("Use letters, digits, - and _ only, starting with a letter or digit.")
        return code

    def clean(self):
        cleaned = super().clean()
        check_dates(self, "valid_from", "valid_until", "The code must stop being valid after it starts.")
        default_zero(self, "min_spend")
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "usage_limit": data["usage_limit"],
            "per_customer_limit": data["per_customer_limit"],
            "min_spend": data["min_spend"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "customer_id": data["customer"].pk if data["customer"] else None,
        }


# Generating codes happens inside the request; larger runs would keep the page waiting too long.
MAX_BATCH_SIZE = 10_000


class CouponBatchForm(Form):
    prefix = forms.CharField(max_length=12, help_text="Letters and digits; codes read PREFIX-XXXXXXXX.")
    size = forms.IntegerField(min_value=1, max_value=MAX_BATCH_SIZE, label="How many codes")
    length = forms.IntegerField(
        min_value=6, max_value=16, initial=8, label="Random characters", help_text="After the prefix."
    )
    usage_limit = _limit_field("Uses per code", help_text="1: single use. Blank: unlimited.", initial=1)
    per_customer_limit = _limit_field("Uses per customer")
    min_spend = money_field("Minimum spend", required=False, initial=Decimal(0))
    valid_from = datetime_field("Valid from")
    valid_until = datetime_field("Valid until")

    def clean_prefix(self):
        prefix = self.cleaned_data["prefix"].strip().upper()
        if not prefix.isalnum() or not prefix.isascii():
            raise forms.ValidationError("Use letters and digits only.")
        return prefix

    def clean(self):
        cleaned = super().clean()
        check_dates(self, "valid_from", "valid_until", "The codes must stop being valid after they start.")
        default_zero(self, "min_spend")
        return cleaned
