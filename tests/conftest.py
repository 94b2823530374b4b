import os

import pytest

from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def staff_user(db):
    """A factory for staff users: staff_user("Clerk") returns a user in the Clerk role."""

    def make(role=None, **fields):
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def client_as(client, staff_user):
    """A test client signed in as a new user of the given role."""

    def login(role=None, **fields):
        user = staff_user(role, **fields)
        client.force_login(user)
        return client

    return login


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker process on the machine's Redis, using the test database.

    The tests' queue name is unique per run (tests/settings.py), so no other worker takes our tasks.
    Yields the worker's hostname; the worker is stopped (warm shutdown, then killed) afterwards.
    """
    import subprocess
    import sys
    import time
    import uuid

    from django.conf import settings
    from django.db import connection

    from backoffice.models import WorkerHeartbeat

    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # The worker must use the test database, which is committed to in transactional tests.
        "TEST_WORKER_DATABASE_NAME": connection.settings_dict["NAME"],
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "WORKER_HEARTBEAT_INTERVAL": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--hostname", hostname,
         "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not WorkerHeartbeat.objects.filter(hostname=hostname).exists():
            assert process.poll() is None, f"the Celery worker exited with {process.returncode}"
            assert time.monotonic() < deadline, "the Celery worker did not start within 30 s"
            time.sleep(0.2)
        yield hostname
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
