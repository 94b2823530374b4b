"""The order page's action buttons: each posts one of these to a transition view, which calls the
lifecycle service. None carries a status: the view's service decides the new one."""

from decimal import Decimal

from django import forms

from orders.forms.base import StaffForm
from orders.models import Payment
from orders.states import HoldReason


class HoldForm(StaffForm):
    reason = forms.ChoiceField(choices=HoldReason.choices, initial=HoldReason.MANUAL, label="Reason")
    note = forms.CharField(required=False, max_length=200, label="Note")


class ReleaseForm(StaffForm):
    note = forms.CharField(
        required=False,
        max_length=200,
        label="Note",
        help_text="Needed to release an unpaid order from a payment hold: say why it may go anyway.",
    )


class PaymentForm(StaffForm):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), label="Amount")
    reference = forms.CharField(max_length=120, label="Reference", help_text="Card slip, bank transfer or receipt.")
    kind = forms.ChoiceField(
        choices=[(Payment.Kind.CAPTURE, "Received"), (Payment.Kind.AUTHORISATION, "Authorised only")],
        initial=Payment.Kind.CAPTURE,
        label="Kind",
    )


class CancelForm(StaffForm):
    reason = forms.CharField(max_length=200, label="Reason", help_text="Shown on the order's timeline.")


class ShipForm(StaffForm):
    """Send a shipment with a carrier the back office does not book itself (staff type the tracking)."""

    carrier = forms.CharField(max_length=60, label="Carrier")
    tracking_number = forms.CharField(required=False, max_length=60, label="Tracking number")
