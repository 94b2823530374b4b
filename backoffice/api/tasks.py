"""Celery tasks of the API plumbing: thin wrappers around its services."""

from celery import shared_task
from django.db import OperationalError

from backoffice.api.idempotency import idempotency_keys_purge


@shared_task(
    acks_late=True,
    soft_time_limit=300,
    time_limit=360,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def idempotency_keys_purge_task() -> int:
    """Daily, from Celery beat: forget stored API answers older than IDEMPOTENCY_KEY_RETENTION_DAYS."""
    return idempotency_keys_purge()
