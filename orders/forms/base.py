"""What the order forms share."""

from django import forms


class StaffForm(forms.Form):
    """Labels without Django's trailing colon, as everywhere else in the staff pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
