"""Credentials of the outside tools that call us."""

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
