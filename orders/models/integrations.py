"""Credentials of the outside tools that call us, and what they sent."""

from django.db import models


class ShipStationAccount(models.Model):
    """The credentials ShipStation's Custom Store uses to call us (HTTP Basic). One row; the
    SHIPSTATION_USERNAME and SHIPSTATION_PASSWORD environment variables, where set, take its place."""

    username = models.CharField(max_length=100)
    # Hashed like a user's password (django.contrib.auth.hashers).
    password = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"ShipStation ({self.username})"


class ShipStationNotice(models.Model):
    """One shipnotify call from ShipStation, as received, with what became of it: applied (a parcel
    shipped), duplicate (a retry, nothing changed), review (nothing could change, staff are told on the
    order's timeline: a new tracking number for a shipment that had shipped) or refused (the reason;
    nothing changed). Written for every authenticated call, refused ones included, so nothing
    ShipStation sent is lost."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        DUPLICATE = "duplicate", "Duplicate (nothing changed)"
        REVIEW = "review", "For staff to review (nothing changed)"
        REFUSED = "refused", "Refused"

    received_at = models.DateTimeField(auto_now_add=True)
    # The query string's parameters (order_number, carrier, service, tracking_number...), the
    # credentials left out.
    params = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField()
    message = models.CharField(max_length=500)
    shipment = models.ForeignKey(
        "orders.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="shipstation_notices"
    )
    parcel = models.ForeignKey("orders.Parcel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What makes a retry of the notice the same notice (orders.services.shipstation.notice_fingerprint):
    # one applied or for review with this fingerprint makes a later one a duplicate.
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.outcome}: {self.message[:60]}"
