"""Health of the services the back office depends on: the database, Redis and the Celery workers."""

import logging
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail}


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check("database", True, connection.vendor)
    except DatabaseError as exc:
        return Check("database", False, f"{type(exc).__name__}: {exc}".strip())


def check_redis() -> Check:
    if not settings.REDIS_URL:
        return Check("redis", True, "not configured: embedded filesystem broker (one machine only)")
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
        return Check("redis", True, "ping ok")
    except redis.RedisError as exc:
        return Check("redis", False, f"{type(exc).__name__}: {exc}")
    finally:
        client.close()


def check_workers() -> Check:
    from backoffice.models import WorkerHeartbeat

    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    try:
        alive = list(WorkerHeartbeat.objects.filter(last_seen_at__gte=cutoff).values_list("hostname", flat=True))
    except DatabaseError as exc:  # without the database no heartbeat can be read
        return Check("celery", False, f"heartbeats unreadable: {type(exc).__name__}")
    if not alive:
        return Check("celery", False, f"no worker heartbeat in the last {settings.WORKER_HEARTBEAT_MAX_AGE} s")
    return Check("celery", True, f"{len(alive)} worker(s) alive: {', '.join(sorted(alive))}")


def system_health() -> list[Check]:
    return [check_database(), check_redis(), check_workers()]


_UPSERT_HEARTBEAT = """
INSERT INTO backoffice_workerheartbeat (hostname, last_seen_at) VALUES (%s, now())
ON CONFLICT (hostname) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
"""


def record_worker_heartbeat(hostname: str) -> None:
    """Upsert the worker's heartbeat over a connection of its own (see backoffice.celery.HeartbeatStep)."""
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    try:
        with psycopg.connect(**params, connect_timeout=5, autocommit=True) as conn:
            conn.execute(_UPSERT_HEARTBEAT, (hostname,))
    except psycopg.Error:
        logger.exception("Could not record the heartbeat of worker %s", hostname)


def worker_heartbeat_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget workers not heard from for `older_than` (renamed or retired machines); returns how many."""
    from backoffice.models import WorkerHeartbeat

    deleted, _ = WorkerHeartbeat.objects.filter(last_seen_at__lt=timezone.now() - older_than).delete()
    return deleted
