"""Forms of the fulfilment pages: the queue's filters, choosing shipments for a pick list, entering
what was picked, and the code scanned to start packing."""

from datetime import timedelta

from django import forms

from orders.forms.base import StaffForm
from orders.fulfilment import selectors
from orders.fulfilment.picking import MAX_BATCH
from orders.models import Carrier, PickLine

PRIORITIES = [("", "Any priority"), ("2", "Urgent"), ("1", "High"), ("0", "Normal")]
AGES = [
    ("", "Any age"),
    ("4", "Waiting 4 h+"),
    ("24", "Waiting 1 day+"),
    ("48", "Waiting 2 days+"),
    ("168", "Waiting a week+"),
]
NO_SERVICE = "none"


class QueueFilterForm(StaffForm):
    stage = forms.ChoiceField(required=False, choices=[*selectors.Stage.choices, ("all", "All")])
    carrier = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any carrier")
    service = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False, choices=PRIORITIES)
    age = forms.ChoiceField(required=False, choices=AGES)
    # The id of the previous page's last shipment; not shown, carried by the "next" link.
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = Carrier.objects.filter(is_active=True).order_by("name")
        self.fields["service"].choices = [
            ("", "Any service"),
            (NO_SERVICE, "No service chosen yet"),
            *((str(service.pk), str(service)) for service in selectors.service_choices()),
        ]

    def filters(self) -> selectors.QueueFilters:
        """The selector's filters; a value that does not parse is left out (the list still shows)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        service, carrier = data.get("service") or "", data.get("carrier")
        return selectors.QueueFilters(
            carrier_id=carrier.pk if carrier else None,
            service_id=int(service) if service.isdigit() else None,
            no_service=service == NO_SERVICE,
            priority=int(data["priority"]) if data.get("priority") else None,
            older_than=timedelta(hours=int(data["age"])) if data.get("age") else None,
            stage="" if data.get("stage") == "all" else data.get("stage") or selectors.Stage.PICK,
        )

    @property
    def current_stage(self) -> str:
        return self.data.get("stage") or selectors.Stage.PICK

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in ("carrier", "service", "priority", "age"))


class ShipmentIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(item) for item in value or ()})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError("Choose shipments from the list.") from error


class PickListCreateForm(StaffForm):
    """Either the ticked shipments (`shipment`), or the next `limit` of the queue (with its filters)."""

    shipment = ShipmentIdsField(required=False)
    limit = forms.IntegerField(required=False, min_value=1, max_value=MAX_BATCH, initial=20, label="Shipments")
    batch = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("batch") and not data.get("shipment"):
            raise forms.ValidationError("Tick the shipments to put on the pick list, or batch the next ones.")
        return data


class PickConfirmForm(StaffForm):
    """For each stop of a pick list: how many were picked (what was asked, unless changed) and why
    fewer, when fewer."""

    def __init__(self, *args, lines: list[PickLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"picked-{line.pk}"] = forms.IntegerField(
                min_value=0, max_value=line.quantity, initial=line.quantity, label=f"Picked {line.product.sku}"
            )
            self.fields[f"reason-{line.pk}"] = forms.CharField(
                required=False, max_length=200, label=f"Why fewer {line.product.sku}"
            )

    def clean(self):
        data = super().clean()
        for line in self.lines:
            picked = data.get(f"picked-{line.pk}")
            if picked is not None and picked < line.quantity and not (data.get(f"reason-{line.pk}") or "").strip():
                self.add_error(f"reason-{line.pk}", "Say why fewer were picked.")
        return data

    def picks(self) -> dict[int, tuple[int, str]]:
        return {
            line.pk: (self.cleaned_data[f"picked-{line.pk}"], self.cleaned_data[f"reason-{line.pk}"])
            for line in self.lines
        }

    def rows(self):
        """(line, picked field, reason field) for the template, in walking order."""
        return [(line, self[f"picked-{line.pk}"], self[f"reason-{line.pk}"]) for line in self.lines]

    def add_line_errors(self, errors: dict[int, str]) -> None:
        for line_id, message in errors.items():
            self.add_error(f"picked-{line_id}", message)


class PackCodeForm(StaffForm):
    code = forms.CharField(max_length=64, label="Scan a pick list, an order or a shipment")
