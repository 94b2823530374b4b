"""A price list's settings and its rows of prices."""

from decimal import Decimal

from django import forms
from django.forms.formsets import formset_factory

from pricing.forms.fields import (
    Form,
    RowFormSet,
    check_dates,
    datetime_field,
    sku_input,
    tier_field,
    unit_price_text,
)
from pricing.models import Channel
from pricing.services import PriceListRow


class PriceListItemForm(Form):
    sku = forms.CharField(max_length=64, label="SKU", widget=sku_input())
    min_quantity = forms.IntegerField(min_value=1, initial=1, label="From quantity")
    unit_price = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal(0),
        error_messages={"min_value": "A price cannot be negative."},
    )


class PriceListItemFormSetBase(RowFormSet):
    def clean(self):
        self.resolve_skus()
        seen: dict[tuple[int, int], int] = {}
        for number, form in enumerate(self.forms, start=1):
            product, quantity = form.cleaned_data.get("product"), form.cleaned_data.get("min_quantity")
            if product is None or quantity is None:
                continue
            if (product.pk, quantity) in seen:
                form.add_error(
                    "min_quantity",
                    f"{product.sku} from {quantity} is already on row {seen[product.pk, quantity]}.",
                )
            seen.setdefault((product.pk, quantity), number)

    def rows(self) -> list[PriceListRow]:
        return [
            PriceListRow(
                form.cleaned_data["product"].pk, form.cleaned_data["min_quantity"], form.cleaned_data["unit_price"]
            )
            for form in self.filled_forms()
        ]

    @staticmethod
    def initial_for(items) -> list[dict]:
        return [
            {"sku": item.product.sku, "min_quantity": item.min_quantity, "unit_price": unit_price_text(item.unit_price)}
            for item in items
        ]


PriceListItemFormSet = formset_factory(
    PriceListItemForm, formset=PriceListItemFormSetBase, extra=1, max_num=5000, absolute_max=5000
)


class PriceListForm(Form):
    name = forms.CharField(max_length=100)
    channel = forms.ChoiceField(choices=[("", "Every channel"), *Channel.choices], required=False)
    tier = tier_field("Every customer", label="Customer tier")
    is_sale = forms.BooleanField(
        required=False, label="Sale prices", help_text="Marks its prices as on sale (some discounts skip those)."
    )
    valid_from = datetime_field("Valid from")
    valid_until = datetime_field("Valid until")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def clean(self):
        cleaned = super().clean()
        check_dates(self, "valid_from", "valid_until", "The list must end after it starts.")
        return cleaned

    @classmethod
    def initial_for(cls, price_list) -> dict:
        return {
            "name": price_list.name,
            "channel": price_list.channel,
            "tier": price_list.tier_id,
            "is_sale": price_list.is_sale,
            "valid_from": price_list.valid_from,
            "valid_until": price_list.valid_until,
            "is_active": price_list.is_active,
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "channel": data["channel"],
            "tier_id": data["tier"].pk if data["tier"] else None,
            "is_sale": data["is_sale"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "is_active": data["is_active"],
        }
