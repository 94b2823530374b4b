"""Documents kept as issued: invoices, and every printed document kept as a PDF."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

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


# A document pending this long may have lost its task (the broker unreachable when it was enqueued):
# the next request for it enqueues it again (a second task for it does no harm).
DOCUMENT_STALE_AFTER = timedelta(minutes=2)


def document_file_path(document: "Document", filename: str) -> str:
    """documents/<kind>/<file>: one folder per kind of document."""
    return f"documents/{document.kind}/{filename}"


class Document(models.Model):
    """A printed document kept as a PDF: one row per version of what it prints, rendered by a worker
    (orders.services.documents). The version is a hash of the document's template context, so a
    document whose content changed (a payment, a tracking number) gets a new row and a new file; an
    unchanged one is served from its file."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        PACKING_SLIP = "packing_slip", "Packing slip"
        CREDIT_NOTE = "credit_note", "Credit note"
        PICK_LIST = "pick_list", "Pick list"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        # What it printed changed before it was rendered: the current version was rendered instead.
        SUPERSEDED = "superseded", "Superseded"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The number of what it prints, as in its URL: an order's number (invoice), order/shipment position
    # (packing slip), a return's number (credit note), a pick list's number.
    key = models.CharField(max_length=40)
    version = models.CharField(max_length=16)
    # As printed at its top, e.g. "Invoice INV-2026-000012".
    title = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=document_file_path, max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a worker was last asked to render it (a request whose task was lost is asked again).
    requested_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key", "version"], name="document_version_unique")]

    def __str__(self):
        return f"{self.title or self.key} ({self.version})"

    @property
    def is_stale(self) -> bool:
        return self.status == self.Status.PENDING and self.requested_at < timezone.now() - DOCUMENT_STALE_AFTER

    @property
    def subject(self) -> str:
        """The title as it reads inside a sentence: "invoice INV-2026-000012"."""
        return self.title[:1].lower() + self.title[1:]
