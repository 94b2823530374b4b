"""Settings for the test suite: the production settings with test-only speed-ups.

The suite runs against the machine's PostgreSQL and Redis (DATABASE_URL and REDIS_URL, set by
scripts/test), never against the embedded default.
"""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghijklmnop")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/backoffice")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Concurrency tests run 20 threads at once, each with a connection of its own.
os.environ.setdefault("DATABASE_POOL_MAX_SIZE", "25")
# A queue of this test run's own, shared with the workers the tests start (tests/conftest.py).
os.environ.setdefault("CELERY_QUEUE", f"test-{uuid.uuid4().hex[:12]}")

from backoffice.settings import *  # noqa: F403
from backoffice.settings import STORAGES

# Under pytest-xdist each test process has its own database, so its own queue too (the workers it
# starts are given this queue, the suffix already there).
_xdist = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist and not CELERY_TASK_DEFAULT_QUEUE.endswith(f"-{_xdist}"):  # noqa: F405
    CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-{_xdist}"  # noqa: F405

# No collectstatic before tests: serve static files from the app folders as in development.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
STATIC_ROOT = None
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test process (pytest-xdist runs several on one Redis) keeps its cache keys to itself.
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}}  # noqa: F405

# A Celery worker started by a test connects straight to the test database of that test run.
if os.environ.get("TEST_WORKER_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["TEST_WORKER_DATABASE_NAME"]  # noqa: F405
