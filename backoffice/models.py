from django.contrib.postgres.fields import ArrayField
from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker said it was alive; written by the worker, read by /healthz."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class DemoDataset(models.Model):
    """One row per run of `seed_demo`, so that the run command loads the demo data only once."""

    created_at = models.DateTimeField(auto_now_add=True)
    options = models.JSONField(default=dict)

    def __str__(self):
        return f"demo data of {self.created_at:%Y-%m-%d %H:%M}"


class StaffArea(models.Model):
    """Holds the permissions to open each section of the staff shell; it has no table.

    Section access is granted to roles here, independently of the model permissions that the pages
    inside a section check as well.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("access_orders", "Can open Orders"),
            ("access_fulfilment", "Can open Fulfilment"),
            ("access_inventory", "Can open Inventory"),
            ("access_purchasing", "Can open Purchasing"),
            ("access_customers", "Can open Customers"),
            ("access_pricing", "Can open Pricing"),
            ("access_reports", "Can open Reports"),
        ]

    def __str__(self):
        return "staff area permissions"


class BackgroundJob(models.Model):
    """A long job run by a Celery worker (an import, a batch of labels), with progress the UI polls."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    # What the job produced (counts, ids) and, for a failed job, what was wrong (e.g. bad CSV rows).
    result = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    input_file = models.FileField(upload_to="jobs/input/%Y/%m/", blank=True)
    output_file = models.FileField(upload_to="jobs/output/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="background_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="job_kind_recent")]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0


class NumberSequence(models.Model):
    """The last number handed out per sequence and year (orders, invoices, credit notes, POs).

    Taken with one upsert that locks the row until the taking transaction ends: numbers of documents
    whose transaction rolls back are reused, so invoice and credit-note numbers stay gapless.
    """

    name = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="number_sequence_unique")]

    def __str__(self):
        return f"{self.name} {self.year}: {self.last_value}"


def default_api_scopes() -> list[str]:
    """What a storefront's token may do unless told otherwise: orders and stock, not carriers' tracking."""
    return [ApiToken.Scope.ORDERS, ApiToken.Scope.STOCK]


class ApiToken(models.Model):
    """A secret that lets a program (a storefront, a marketplace connector) call the JSON API.

    Only the SHA-256 hash of the token is stored: the token is shown once, when it is created, and a
    leaked database does not leak working tokens. A token has 256 random bits, so an unsalted fast
    hash is enough (there is nothing to guess a dictionary from).
    """

    class Scope(models.TextChoices):
        ORDERS = "orders", "Orders: place orders and read them"
        STOCK = "stock", "Stock: read stock levels"
        TRACKING = "tracking", "Tracking: report carriers' tracking events (ships and delivers parcels)"

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. “Shopify storefront”.")
    # What the token may call (an endpoint outside them answers 403 insufficient_scope).
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), default=default_api_scopes)
    # The token's first characters, not secret: enough to recognise it in logs and in this list.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute per token (backoffice.api.tokens), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotencyKey(models.Model):
    """The first response to an API request sent with an `Idempotency-Key` header, per token and key.

    The row is written in the same transaction as the work and its answer (backoffice.api.idempotency),
    so a committed row always holds the answer; the unique constraint makes a concurrent request with
    the same key wait for the first and then replay it. Rows older than IDEMPOTENCY_KEY_RETENTION_DAYS
    are purged daily.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and canonical JSON body: the same key with another request is refused.
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The response's exact bytes (as text), so that a replay is identical to the first answer.
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_unique_per_token")]
        # The daily purge deletes by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self):
        return f"{self.key} ({self.response_status or 'no answer'})"
