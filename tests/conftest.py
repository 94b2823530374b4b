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
    """A real Celery worker process on the machine's Redis, using the test database (tests/workers.py).

    Yields the worker's hostname; the worker is stopped (warm shutdown, then killed) afterwards.
    """
    from tests.workers import start_worker, stop_worker

    process, hostname = start_worker()
    try:
        yield hostname
    finally:
        stop_worker(process)


@pytest.fixture
def shared_media(tmp_path, settings, monkeypatch):
    """One media folder for this process and the Celery workers it starts (which read MEDIA_ROOT from
    the environment): labels and documents a worker writes are where the test looks."""
    folder = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(folder))
    settings.MEDIA_ROOT = folder
    return folder
