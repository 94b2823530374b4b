"""/healthz reports the database, Redis and the Celery workers honestly."""

import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.models import WorkerHeartbeat


@pytest.fixture
def fresh_heartbeat(db):
    return WorkerHeartbeat.objects.create(hostname="worker@test", last_seen_at=timezone.now())


@pytest.fixture
def private_redis(settings):
    """A Redis server of this test's own on a free port, so the test may stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    yield process
    if process.poll() is None:
        process.terminate()
        process.wait()


@pytest.mark.django_db
def test_healthy_when_database_redis_and_a_worker_are_up(client, fresh_heartbeat):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "celery": True,
    }
    assert "worker@test" in body["checks"]["celery"]["detail"]


@pytest.mark.django_db
def test_unavailable_when_redis_stops(client, fresh_heartbeat, private_redis):
    assert client.get("/healthz").status_code == 200

    private_redis.terminate()
    private_redis.wait()
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_unavailable_when_no_worker_heartbeat_is_recent(client, settings):
    WorkerHeartbeat.objects.create(
        hostname="gone@test",
        last_seen_at=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 1),
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["celery"] == {
        "ok": False,
        "detail": f"no worker heartbeat in the last {settings.WORKER_HEARTBEAT_MAX_AGE} s",
    }


@pytest.mark.django_db
def test_unavailable_when_the_database_is_unreachable(client, fresh_heartbeat, settings):
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    original = settings_dict["PORT"]
    connections["default"].close()
    settings_dict["PORT"] = 1  # nothing listens there
    try:
        response = client.get("/healthz")
    finally:
        connections["default"].close()
        settings_dict["PORT"] = original

    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False


@pytest.mark.django_db
def test_dashboard_shows_the_same_status(client_as, fresh_heartbeat):
    page = client_as("Clerk").get("/").content.decode()
    assert "System status" in page
    assert "all up" in page


@pytest.mark.django_db
def test_status_card_refreshes_as_a_partial_over_htmx(client_as, fresh_heartbeat):
    response = client_as("Clerk").get("/", headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="system-status"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]
