"""The order list's filters and search."""

from django import forms

from orders.forms.base import StaffForm
from orders.selectors import warehouse_choices
from orders.states import HoldReason, OrderStatus, PaymentStatus
from pricing.models import Channel


class OrderFilterForm(StaffForm):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *OrderStatus.choices])
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    placed_from = forms.DateField(required=False, label="Placed from", widget=forms.DateInput(attrs={"type": "date"}))
    placed_to = forms.DateField(required=False, label="Placed to", widget=forms.DateInput(attrs={"type": "date"}))
    warehouse = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any warehouse")
    hold_reason = forms.ChoiceField(required=False, choices=[("", "Any hold reason"), *HoldReason.choices])
    payment_status = forms.ChoiceField(required=False, choices=[("", "Any payment state"), *PaymentStatus.choices])
    # A customer's orders (the customer page embeds the list's results); not shown, carried by links.
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # The id of the previous page's last order; not shown, carried by the "next" link.
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouse_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("placed_from"), data.get("placed_to")
        if start and end and end < start:
            self.add_error("placed_to", "The last day comes before the first.")
        return data

    def selector_arguments(self) -> dict:
        """Arguments of selectors.order_list; a filter that does not parse is left out rather than
        refused (a list is still shown, with the field's error)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        warehouse = data.get("warehouse")
        return {
            "query": data.get("q", ""),
            "status": data.get("status", ""),
            "channel": data.get("channel", ""),
            "placed_from": data.get("placed_from"),
            "placed_to": data.get("placed_to"),
            "warehouse_id": warehouse.pk if warehouse else None,
            "hold_reason": data.get("hold_reason", ""),
            "payment_status": data.get("payment_status", ""),
            "customer_id": data.get("customer"),
            "before": data.get("before"),
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "before")
