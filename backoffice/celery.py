"""The Celery app: `celery -A backoffice worker` and `celery -A backoffice beat`.

Configuration lives in Django settings under the CELERY_ namespace (backoffice/settings.py).
"""

import os

from celery import Celery, bootsteps
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs run by `celery -A backoffice beat`; each app adds its own here.
app.conf.beat_schedule = {
    "prune-worker-heartbeats": {
        "task": "backoffice.tasks.worker_heartbeat_prune_task",
        "schedule": crontab(hour=3, minute=17),
    },
    "backorders-fill": {
        "task": "orders.tasks.backorders_fill_task",
        "schedule": 300.0,
    },
    "low-stock-digest": {
        "task": "inventory.tasks.low_stock_digest_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "idempotency-keys-purge": {
        "task": "backoffice.api.tasks.idempotency_keys_purge_task",
        "schedule": crontab(hour=3, minute=41),
    },
    "shipstation-notices-purge": {
        "task": "orders.tasks.shipstation_notices_purge_task",
        "schedule": crontab(hour=3, minute=53),
    },
}
# backoffice.api is a package of the backoffice app, not an app: name its tasks module for discovery.
app.autodiscover_tasks(["backoffice.api"])


class HeartbeatStep(bootsteps.StartStopStep):
    """Writes this worker's heartbeat row on a timer, so /healthz can tell whether any worker lives.

    It runs in the worker's main process with its own short psycopg connection rather than Django's
    ORM: the main process forks the pool's children, and a Django connection pool opened here would be
    inherited by them half-alive.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        from django.conf import settings

        from backoffice.health import record_worker_heartbeat

        record_worker_heartbeat(worker.hostname)
        self.timer_entry = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_INTERVAL, record_worker_heartbeat, (worker.hostname,), priority=10
        )

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None


app.steps["worker"].add(HeartbeatStep)
