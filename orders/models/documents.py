"""Documents kept as issued: invoices."""

from django.conf import settings
from django.db import models

from orders.models.orders import Order


class Invoice(models.Model):
    """The bill for an order, numbered gapless per year, with the order as it was when issued."""

    number = models.CharField(max_length=20, unique=True)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField()
    due_date = models.DateField()
    payment_terms_days = models.PositiveSmallIntegerField(default=0)
    # Seller and buyer as they were: a later change of address does not change an issued invoice.
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    # The order's lines, discounts and tax breakdown as invoiced (an issued invoice never changes).
    lines = models.JSONField(default=list)
    # The order-level and shipping discounts with their explanations (item discounts sit on their lines).
    discounts = models.JSONField(default=list, blank=True)
    tax_breakdown = models.JSONField(default=list)
    subtotal_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2)
    shipping_amount = models.DecimalField(max_digits=14, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.number
