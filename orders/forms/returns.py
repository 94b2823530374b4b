"""Forms of the returns pages: which shipped units come back, what arrived, how the customer is paid
back. Each line of a return is a pair of fields named after its row's id; the service's errors, which
name lines by position, are put back on those fields."""

from decimal import Decimal

from django import forms

from orders.forms.base import StaffForm
from orders.services.returns import ReturnReceipt, ReturnRequest
from orders.states import ReturnCondition, ReturnReason, Settlement


class _LineForm(StaffForm):
    """A form with fields per row; `service_errors` puts a service's `lines[i].field` errors on them."""

    line_fields: dict[str, str] = {}

    def service_errors(self, errors: dict[str, str], row_ids: list[int]) -> None:
        for path, message in errors.items():
            field = None
            if path.startswith("lines[") and "]" in path:
                index = int(path[6 : path.index("]")])
                name = path[path.index("]") + 2 :] or "quantity"
                if index < len(row_ids):
                    field = f"{self.line_fields.get(name, name)}_{row_ids[index]}"
            self.add_error(field if field in self.fields else None, message)


class ReturnAuthoriseForm(_LineForm):
    """Per shipped line: how many units come back and why."""

    line_fields = {"quantity": "quantity", "reason": "reason"}
    note = forms.CharField(required=False, max_length=500, label="Note", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"quantity_{row.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=row.returnable,
                initial=0,
                required=False,
                label=f"{row.order_line.sku} to return",
            )
            self.fields[f"reason_{row.pk}"] = forms.ChoiceField(
                choices=[("", "Why?"), *ReturnReason.choices],
                required=False,
                label=f"Why {row.order_line.sku} comes back",
            )
            row.quantity_field = self[f"quantity_{row.pk}"]
            row.reason_field = self[f"reason_{row.pk}"]

    def clean(self):
        data = super().clean()
        for row in self.rows:
            if data.get(f"quantity_{row.pk}") and not data.get(f"reason_{row.pk}"):
                self.add_error(f"reason_{row.pk}", "Choose why the units come back.")
        return data

    def requests(self) -> tuple[list[ReturnRequest], list[int]]:
        """The lines to return, and the row id of each (to place the service's errors)."""
        chosen = [row for row in self.rows if self.cleaned_data.get(f"quantity_{row.pk}")]
        return (
            [
                ReturnRequest(row.pk, self.cleaned_data[f"quantity_{row.pk}"], self.cleaned_data[f"reason_{row.pk}"])
                for row in chosen
            ],
            [row.pk for row in chosen],
        )


class ReturnReceiveForm(_LineForm):
    """Per return line: how many arrived, in what state, and into which bin."""

    line_fields = {"quantity": "received", "condition": "condition", "bin": "bin"}

    def __init__(self, *args, lines, bins, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        shelves = [(b.pk, b.code) for b in bins.values() if not b.is_quarantine]
        quarantine = [(b.pk, f"{b.code} (quarantine)") for b in bins.values() if b.is_quarantine]
        for line in lines:
            sku = line.shipment_line.order_line.sku
            self.fields[f"received_{line.pk}"] = forms.IntegerField(
                min_value=0, max_value=line.quantity, initial=line.quantity, label=f"{sku} received"
            )
            self.fields[f"condition_{line.pk}"] = forms.ChoiceField(
                choices=ReturnCondition.choices, initial=ReturnCondition.SELLABLE, label=f"{sku} condition"
            )
            self.fields[f"bin_{line.pk}"] = forms.TypedChoiceField(
                choices=[("", "First fitting bin"), ("Bins", shelves), ("Quarantine", quarantine)],
                coerce=int,
                empty_value=None,
                required=False,
                label=f"{sku} into bin",
            )
            line.received_field = self[f"received_{line.pk}"]
            line.condition_field = self[f"condition_{line.pk}"]
            line.bin_field = self[f"bin_{line.pk}"]

    def receipts(self) -> tuple[list[ReturnReceipt], list[int]]:
        data = self.cleaned_data
        return (
            [
                ReturnReceipt(
                    line.pk, data[f"received_{line.pk}"], data[f"condition_{line.pk}"], data[f"bin_{line.pk}"]
                )
                for line in self.lines
            ],
            [line.pk for line in self.lines],
        )


class ReturnSettleForm(StaffForm):
    settlement = forms.ChoiceField(choices=Settlement.choices, label="Pay back by", widget=forms.RadioSelect)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), label="Amount")
    reference = forms.CharField(
        required=False, max_length=120, label="Refund reference", help_text="Needed for a refund: provider or bank."
    )


class ReturnCancelForm(StaffForm):
    reason = forms.CharField(max_length=200, label="Reason", help_text="Shown on the order's timeline.")
