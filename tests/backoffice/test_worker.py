"""A real Celery worker process, on the machine's Redis and the test database."""

from datetime import timedelta
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone

from backoffice.models import WorkerHeartbeat
from backoffice.tasks import worker_heartbeat_prune_task
from tests.workers import wait_for

pytestmark = pytest.mark.worker


def test_a_running_worker_makes_healthz_report_celery_up(celery_worker, client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert celery_worker in response.json()["checks"]["celery"]["detail"]


def test_heartbeats_keep_coming(celery_worker):
    first = WorkerHeartbeat.objects.get(hostname=celery_worker).last_seen_at
    wait_for(lambda: WorkerHeartbeat.objects.get(hostname=celery_worker).last_seen_at > first, timeout=10)


def test_a_task_enqueued_on_commit_runs_in_the_worker(celery_worker):
    gone = WorkerHeartbeat.objects.create(hostname="retired@old", last_seen_at=timezone.now() - timedelta(days=3))

    with transaction.atomic():
        transaction.on_commit(partial(worker_heartbeat_prune_task.delay))

    wait_for(lambda: not WorkerHeartbeat.objects.filter(pk=gone.pk).exists())
    assert WorkerHeartbeat.objects.filter(hostname=celery_worker).exists()
