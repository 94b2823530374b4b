"""Returns: RMAs, their lines, and credit notes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from orders.models.orders import Order, ShipmentLine
from orders.states import ReturnCondition, ReturnReason, ReturnStatus, Settlement


class ReturnAuthorisation(models.Model):
    """An RMA: units of shipped shipments the customer may send back, then what came back and how the
    customer was paid back."""

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.AUTHORISED)
    note = models.TextField(blank=True)
    # Where the goods come back to (a warehouse that shipped them, usually).
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    settlement = models.CharField(max_length=8, choices=Settlement.choices, blank=True)
    settled_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    settlement_reference = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["order", "status"], name="return_order")]

    def __str__(self):
        return self.number


class ReturnLine(models.Model):
    rma = models.ForeignKey(ReturnAuthorisation, on_delete=models.CASCADE, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    received_quantity = models.PositiveIntegerField(default=0)
    condition = models.CharField(max_length=10, choices=ReturnCondition.choices, blank=True)
    # The bin the units went back to (a quarantine bin for damaged ones).
    bin = models.ForeignKey("inventory.Bin", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What the received units are worth to the customer: their share of the line total, tax included.
    value_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["rma", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rma", "shipment_line"], name="return_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")), name="return_line_received_within"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.shipment_line_id}"


class CreditNote(models.Model):
    """Money owed back to a customer, set against what they owe on account (or paid out later)."""

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rma = models.OneToOneField(
        ReturnAuthorisation, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive")]

    def __str__(self):
        return self.number
