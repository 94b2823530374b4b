"""What the pricing forms share: labels, typed lists of SKUs and codes, customers, dates, amounts and
the rows that htmx adds and removes."""

# Annotations stay unevaluated: in RowFormSet the name `forms` is its property, not django.forms.
from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.forms.formsets import BaseFormSet
from django.utils.functional import cached_property

from crm.models import CustomerTier
from pricing import selectors

# SKUs and coupon codes are typed as lists: split on commas, semicolons and any white space.
LIST_SEPARATORS = re.compile(r"[\s,;]+")


class Form(forms.Form):
    """The pricing pages' forms: labels without Django's trailing colon, like the rest of the shell."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def split_list(text: str) -> list[str]:
    """The items of a typed list, each once (the first spelling wins), in the order typed."""
    seen: dict[str, str] = {}
    for item in LIST_SEPARATORS.split(text or ""):
        if item and item.upper() not in seen:
            seen[item.upper()] = item
    return list(seen.values())


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def datetime_field(label: str, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=False, widget=DateTimeLocalInput(), **kwargs)


def money_field(label: str, **kwargs) -> forms.DecimalField:
    kwargs.setdefault("min_value", Decimal(0))
    field = forms.DecimalField(label=label, max_digits=14, decimal_places=2, **kwargs)
    field.error_messages["min_value"] = "Enter an amount of 0 or more."
    return field


def check_dates(form: forms.Form, start: str, end: str, message: str) -> None:
    starts, ends = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if starts and ends and ends <= starts:
        form.add_error(end, message)


def default_zero(form: forms.Form, name: str) -> None:
    """A blank optional amount means none: 0."""
    if name not in form.errors and form.cleaned_data.get(name) is None:
        form.cleaned_data[name] = Decimal(0)


class SkuListField(forms.CharField):
    """Products typed as SKUs separated by commas or spaces; cleans to a list of Products and names
    every SKU the catalogue does not know."""

    widget = forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"})

    def clean(self, value):
        skus = split_list(super().clean(value))
        found = selectors.products_by_sku(skus=skus)
        unknown = [sku for sku in skus if sku.upper() not in found]
        if unknown:
            raise forms.ValidationError(f"Unknown SKU{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
        return [found[sku.upper()] for sku in skus]


class CustomerField(forms.CharField):
    """A customer typed by number or e-mail address; cleans to the Customer (or None when blank)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("help_text", "Customer number or e-mail address.")
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        customer = selectors.customer_find(text=text)
        if customer is None:
            raise forms.ValidationError(f"No customer has the number or e-mail address {text}.")
        return customer


def tier_field(empty_label: str, **kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=CustomerTier.objects.order_by("rank", "name"), required=False, empty_label=empty_label, **kwargs
    )


def plain_number(amount: Decimal) -> Decimal:
    """10.0000 as 10 and 2.5000 as 2.5: what a person would type."""
    normalized = amount.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized


def unit_price_text(amount: Decimal) -> Decimal:
    """11.0000 as 11.00 and 0.0125 as 0.0125: cents always, more places only where they matter."""
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


# --- rows added and removed with htmx (price list items, cart lines) ---------------------------------


class RowFormSet(BaseFormSet):
    """Rows that may each be removed or left blank: none counts as an "initial" form (Django would make
    those required), and an unbound set shows its initial rows plus `extra` blank ones."""

    def initial_form_count(self):
        return 0

    def total_form_count(self):
        if self.is_bound:
            return super().total_form_count()
        return len(self.initial or ()) + self.extra

    @cached_property
    def forms(self):
        rows = super().forms
        if not self.is_bound:
            return rows
        # A row removed on the page leaves a gap in the indices; nothing was sent for it, so it is no row
        # (its default quantity would otherwise make it look filled in, and required).
        return [form for form in rows if any(key.startswith(f"{form.prefix}-") for key in self.data)]

    def filled_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.has_changed()]

    def resolve_skus(self) -> dict:
        """Look every row's SKU up in one query; rows with an unknown SKU get an error naming it."""
        forms_with_sku = [form for form in self.filled_forms() if form.cleaned_data.get("sku")]
        found = selectors.products_by_sku(skus=[form.cleaned_data["sku"] for form in forms_with_sku])
        for form in forms_with_sku:
            sku = form.cleaned_data["sku"]
            form.cleaned_data["product"] = found.get(sku.upper())
            if form.cleaned_data["product"] is None:
                form.add_error("sku", f"No product has the SKU {sku}.")
        return found

    def row_errors(self) -> list[str]:
        """Each row's errors as "Row n: message", for a summary above the table."""
        return [
            f"Row {number}: {message}"
            for number, form in enumerate(self.forms, start=1)
            for messages in form.errors.values()
            for message in messages
        ]


def row_form(formset_class: type[RowFormSet], *, prefix: str, index: int) -> forms.Form:
    """A blank row of `formset_class` at `index`, for htmx to append to the table."""
    return formset_class.form(prefix=f"{prefix}-{index}", empty_permitted=True, use_required_attribute=False)


def sku_input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "sku", **attrs})
