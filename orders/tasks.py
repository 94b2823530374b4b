"""Celery tasks of the orders app: thin wrappers around orders services."""

from celery import shared_task
from django.db import OperationalError

from orders.services.backorders import backorders_fill


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
