"""Input of the label and carrier buttons: a service chosen, a tracking number typed, a batch of
shipments to label."""

from django import forms
from django.core.exceptions import ValidationError

from orders.forms.base import StaffForm

# A batch of labels is a few hundred shipments of the fulfilment queue; more is a mistake (and past
# Django's DATA_UPLOAD_MAX_NUMBER_FIELDS, 1000, the request is refused before it gets here).
BATCH_MAX = 500


class IdListField(forms.Field):
    """Repeated `name=<id>` parameters, as a list of distinct ids in the order given."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = []
        for item in values:
            try:
                number = int(str(item).strip())
            except ValueError:
                raise ValidationError(f"{item!r} is not an id.") from None
            if number < 1:
                raise ValidationError(f"{item!r} is not an id.")
            ids.append(number)
        return list(dict.fromkeys(ids))


class ServiceForm(StaffForm):
    service = forms.IntegerField(min_value=1, label="Carrier service")


class TrackingForm(StaffForm):
    tracking_number = forms.CharField(max_length=60, label="Tracking number")


class LabelsBatchForm(StaffForm):
    shipment = IdListField(label="Shipments")

    def clean_shipment(self):
        ids = self.cleaned_data["shipment"]
        if len(ids) > BATCH_MAX:
            raise ValidationError(f"At most {BATCH_MAX} shipments at a time.")
        return ids
