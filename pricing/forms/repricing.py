"""Competitor prices recorded by hand, and the repricing rule and accepted suggestions."""

import re
from decimal import Decimal

from django import forms

from pricing import selectors
from pricing.forms.fields import (
    Form,
    datetime_field,
    money_field,
    sku_input,
)


class CompetitorPriceForm(Form):
    sku = forms.CharField(max_length=64, label="SKU", widget=sku_input())
    competitor = forms.CharField(max_length=100)
    price = money_field("Their price")
    url = forms.URLField(required=False, label="Where seen (URL)", assume_scheme="https")
    observed_at = datetime_field("Seen at", help_text="Blank: now.")

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        product = selectors.products_by_sku(skus=[sku]).get(sku.upper())
        if product is None:
            raise forms.ValidationError(f"No product has the SKU {sku}.")
        self.cleaned_data["product"] = product
        return sku

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "product_id": data["product"].pk,
            "competitor": data["competitor"],
            "price": data["price"],
            "observed_at": data["observed_at"],
            "url": data["url"],
        }


class CompetitorPriceFilterForm(Form):
    sku = forms.CharField(required=False, max_length=64, label="SKU")

    def product(self):
        sku = self.cleaned_data.get("sku", "").strip() if self.is_valid() else ""
        return selectors.products_by_sku(skus=[sku]).get(sku.upper()) if sku else None


class RepriceRuleForm(Form):
    BY_AMOUNT, BY_PERCENT = "amount", "percent"
    # What the repricing page opens with: beat the lowest price seen in 30 days by a penny.
    DEFAULTS = {"rule": BY_AMOUNT, "by": "0.01", "days": "30"}

    rule = forms.ChoiceField(
        choices=[(BY_AMOUNT, "Beat the lowest by an amount"), (BY_PERCENT, "Beat the lowest by a percentage")],
        initial=BY_AMOUNT,
        widget=forms.RadioSelect,
    )
    by = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal(0), initial=Decimal("0.01"))
    days = forms.IntegerField(min_value=1, max_value=365, initial=30, label="Prices seen in the last (days)")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("rule") == self.BY_PERCENT and (cleaned.get("by") or 0) >= 100:
            self.add_error("by", "Enter a percentage below 100.")
        return cleaned

    def selector_arguments(self) -> dict:
        data = self.cleaned_data
        by_percent = data["rule"] == self.BY_PERCENT
        return {
            "beat_by_amount": Decimal(0) if by_percent else data["by"],
            "beat_by_percent": data["by"] if by_percent else Decimal(0),
            "days": data["days"],
        }


class ValueListField(forms.Field):
    """Every value sent under the field's name (ticked checkboxes), as strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [str(item) for item in value or ()]


ACCEPTED_SUGGESTION = re.compile(r"(\d+):(\d+(?:\.\d+)?)")


class RepriceAcceptForm(RepriceRuleForm):
    """The suggestions ticked, each as "<product id>:<price>": the price the manager saw is the price
    set, even if a competitor price recorded meanwhile would now suggest another."""

    accept = ValueListField(required=False)

    def clean_accept(self):
        accepted = {}
        for value in self.cleaned_data["accept"]:
            match = ACCEPTED_SUGGESTION.fullmatch(value)
            if match is None:
                raise forms.ValidationError("The page was out of date: load the suggestions again.")
            accepted[int(match[1])] = Decimal(match[2])
        if not accepted:
            raise forms.ValidationError("Tick the suggestions to accept.")
        return accepted
