"""Celery tasks of the orders app: thin wrappers around orders services."""

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, close_old_connections, connection

from orders.services import documents, labels
from orders.services.backorders import backorders_fill
from orders.services.shipstation import shipstation_notices_purge


@shared_task(
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def backorders_fill_task() -> int:
    """Every few minutes, from Celery beat: reserve arrived stock for backorders, oldest order first."""
    return backorders_fill()


# --- labels and shipping confirmation (orders.services.labels) --------------------------------------


LABEL_SOFT_TIME_LIMIT = 60


class LabelTask(Task):
    """Records a label's final failure on the parcel (shown on the order page with a Retry button)
    rather than leaving it pending forever: retries exhausted, the time limit, a bug."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        parcel_id = args[0] if args else kwargs["parcel_id"]
        job_id = args[1] if len(args) > 1 else kwargs.get("job_id")
        if isinstance(exc, labels.TRANSIENT_ERRORS):
            reason = f"{labels.describe_error(exc)}; gave up after {self.request.retries + 1} attempts."
            count_attempt = False  # counted when it failed
        elif isinstance(exc, SoftTimeLimitExceeded):
            reason, count_attempt = f"The carrier took longer than {LABEL_SOFT_TIME_LIMIT} s.", True
        else:
            reason, count_attempt = labels.describe_error(exc), True
        # The failure may have left this worker's connection broken; record it on a fresh one (unless the
        # task ran inside a transaction, as in tests run in process).
        if not connection.in_atomic_block:
            close_old_connections()
        labels.parcel_label_fail(parcel_id=parcel_id, reason=reason, count_attempt=count_attempt)
        if job_id:
            labels.labels_batch_progress(job_id=job_id)


@shared_task(
    base=LabelTask,
    bind=True,
    acks_late=True,
    soft_time_limit=LABEL_SOFT_TIME_LIMIT,
    time_limit=LABEL_SOFT_TIME_LIMIT + 30,
    autoretry_for=labels.TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def parcel_label_task(self, parcel_id: int, job_id: int | None = None) -> None:
    """Create one parcel's label (idempotent: a repeat finds it made and does nothing), then bring the
    batch it belongs to, if any, up to date."""
    labels.parcel_label_create(parcel_id=parcel_id)
    if job_id:
        labels.labels_batch_progress(job_id=job_id)


@shared_task(
    acks_late=True,
    soft_time_limit=300,
    time_limit=330,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def labels_batch_finish_task(job_id: int) -> None:
    """Merge a batch's labels into one PDF and finish its job (once; a repeat does nothing)."""
    labels.labels_batch_finish(job_id=job_id)


@shared_task(
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
    # SMTP errors are OSErrors: the mail server away or refusing for now.
    autoretry_for=(OSError, OperationalError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def shipment_confirmation_email_task(shipment_id: int) -> bool:
    """E-mail the customer that a shipment left, with its tracking numbers (once per shipment)."""
    return labels.shipment_confirmation_send(shipment_id=shipment_id)


# --- documents as PDF (orders.services.documents) ---------------------------------------------------


DOCUMENT_SOFT_TIME_LIMIT = 120


class DocumentTask(Task):
    """Records a document's final failure on its row (shown on its page with a Retry button) rather
    than leaving it pending: retries exhausted, the time limit, a bug in a template."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        document_id = args[0] if args else kwargs["document_id"]
        if isinstance(exc, documents.TRANSIENT_ERRORS):
            reason = f"{documents.describe_error(exc)}; gave up after {self.request.retries + 1} attempts."
        elif isinstance(exc, SoftTimeLimitExceeded):
            reason = f"Rendering took longer than {DOCUMENT_SOFT_TIME_LIMIT} s."
        else:
            reason = documents.describe_error(exc)
        # The failure may have left this worker's connection broken; record it on a fresh one (unless the
        # task ran inside a transaction, as in tests run in process).
        if not connection.in_atomic_block:
            close_old_connections()
        documents.document_render_fail(document_id=document_id, reason=reason)


@shared_task(
    base=DocumentTask,
    bind=True,
    acks_late=True,
    soft_time_limit=DOCUMENT_SOFT_TIME_LIMIT,
    time_limit=DOCUMENT_SOFT_TIME_LIMIT + 30,
    autoretry_for=documents.TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def document_render_task(self, document_id: int) -> None:
    """Render a document's PDF and keep it (idempotent: a repeat finds it ready and does nothing)."""
    documents.document_render(document_id=document_id)


@shared_task(
    acks_late=True,
    soft_time_limit=300,
    time_limit=330,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def shipstation_notices_purge_task() -> int:
    """Daily, from Celery beat: forget ShipStation notices that changed nothing, after their retention."""
    return shipstation_notices_purge()
