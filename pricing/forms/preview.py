"""The cart typed on the 'try a cart' page."""

from decimal import Decimal

from django import forms
from django.forms.formsets import formset_factory
from django.utils import timezone

from pricing.engine import Cart, CartLine
from pricing.forms.fields import (
    CustomerField,
    Form,
    RowFormSet,
    datetime_field,
    money_field,
    sku_input,
    split_list,
    tier_field,
)
from pricing.models import Channel


class CartLineForm(Form):
    sku = forms.CharField(max_length=64, label="SKU", widget=sku_input())
    quantity = forms.IntegerField(min_value=1, initial=1, widget=forms.NumberInput(attrs={"min": 1}))


class CartLineFormSetBase(RowFormSet):
    def clean(self):
        self.resolve_skus()

    def lines(self) -> tuple[CartLine, ...]:
        return tuple(
            CartLine(form.cleaned_data["product"].pk, form.cleaned_data["quantity"]) for form in self.filled_forms()
        )


CartLineFormSet = formset_factory(CartLineForm, formset=CartLineFormSetBase, extra=3, max_num=200, absolute_max=200)


class CartPreviewForm(Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.WEB)
    tier = tier_field("No tier", label="Customer tier", help_text="Blank: the customer's own tier.")
    customer = CustomerField(label="Customer")
    coupon_codes = forms.CharField(
        required=False,
        max_length=500,
        label="Coupon codes",
        help_text="Separated by commas or spaces.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    shipping_price = money_field("Shipping", required=False, initial=Decimal("0.00"))
    at = datetime_field("Price as at", help_text="Blank: now.")

    def cart(self, *, lines: tuple[CartLine, ...]) -> Cart:
        data = self.cleaned_data
        customer, tier = data["customer"], data["tier"]
        # A chosen tier overrides the customer's own, so a clerk can ask "what would Gold pay?".
        tier_id = tier.pk if tier else (customer.tier_id if customer else None)
        return Cart(
            lines=lines,
            at=data["at"] or timezone.now(),
            channel=data["channel"],
            customer_id=customer.pk if customer else None,
            tier_id=tier_id,
            coupon_codes=tuple(split_list(data["coupon_codes"])),
            shipping_price=data["shipping_price"] or Decimal("0.00"),
        )
