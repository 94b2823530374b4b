"""Real Celery worker processes for the tests: on the machine's Redis, on this test run's own queue
(tests/settings.py), using the test database (committed to in transactional tests)."""

import os
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.db import connection

from backoffice.models import WorkerHeartbeat


def start_worker(timeout: float = 30, **extra_env: str) -> tuple[subprocess.Popen, str]:
    """Start a worker (concurrency 1) and wait for its first heartbeat; `extra_env` adds to or overrides
    its environment. Returns the process and the worker's hostname."""
    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_WORKER_DATABASE_NAME": connection.settings_dict["NAME"],
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "WORKER_HEARTBEAT_INTERVAL": "1",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--hostname", hostname,
         "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not WorkerHeartbeat.objects.filter(hostname=hostname).exists():
        if process.poll() is not None:
            raise AssertionError(f"the Celery worker exited with {process.returncode}")
        if time.monotonic() > deadline:
            stop_worker(process)
            raise AssertionError(f"the Celery worker did not start within {timeout:.0f} s")
        time.sleep(0.2)
    return process, hostname


def stop_worker(process: subprocess.Popen) -> None:
    """Warm shutdown, then a kill if the worker does not stop within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate, timeout: float = 60.0, message: str = "condition"):
    """Poll `predicate` until it returns something true (returned), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout} s for {message}"
        time.sleep(0.05)
