"""The API plumbing on its own: idempotent runs, purging old keys, token revocation in the admin."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from backoffice.api.idempotency import idempotency_keys_purge, idempotent_run
from backoffice.api.tokens import api_token_create
from backoffice.models import ApiToken, IdempotencyKey

pytestmark = pytest.mark.django_db


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Unavailable(Exception):
    """Stands for any failure inside an operation."""


def run(token, perform, render=lambda result: (201, f'{{"n": {result}}}')):
    return idempotent_run(token=token, key="key-1", fingerprint="f" * 64, perform=perform, render=render)


def test_an_operation_that_fails_frees_its_key_for_a_retry():
    token, _ = api_token_create(name="Storefront")

    def fail():
        raise Unavailable

    with pytest.raises(Unavailable):
        run(token, fail)
    assert not IdempotencyKey.objects.exists()

    answer = run(token, lambda: 1)
    replay = run(token, lambda: 2)

    assert (answer.status, answer.body, answer.replayed) == (201, '{"n": 1}', False)
    assert (replay.status, replay.body, replay.replayed) == (201, '{"n": 1}', True)


def test_a_failure_after_the_operation_undoes_it_with_its_claim():
    """The operation's work, its key's claim and its answer are one transaction: a failure before the
    answer is stored leaves neither work without an answer nor a claim without work."""
    token, _ = api_token_create(name="Storefront")

    def work():
        return api_token_create(name="Made by the operation")[0].pk

    def broken_render(result):
        raise Unavailable

    with pytest.raises(Unavailable):
        run(token, work, broken_render)

    assert not IdempotencyKey.objects.exists()
    assert not ApiToken.objects.filter(name="Made by the operation").exists()
    answer = run(token, work)
    assert (answer.status, ApiToken.objects.filter(name="Made by the operation").count()) == (201, 1)


def test_a_stored_answer_is_replayed_without_running_the_operation_again():
    token, _ = api_token_create(name="Storefront")
    calls = []

    first = run(token, lambda: calls.append(1) or len(calls))
    again = run(token, lambda: calls.append(1) or len(calls))

    assert (first.body, again.body, again.replayed, len(calls)) == ('{"n": 1}', '{"n": 1}', True, 1)
    stored = IdempotencyKey.objects.get()
    assert (stored.response_status, stored.response_body, stored.completed_at is not None) == (201, '{"n": 1}', True)


# --- purging old keys ------------------------------------------------------------------------------


def _key(token, name, age):
    key = IdempotencyKey.objects.create(token=token, key=name, request_hash="f" * 64, response_status=201)
    IdempotencyKey.objects.filter(pk=key.pk).update(created_at=NOW - age)


def test_keys_older_than_the_retention_are_purged(settings):
    settings.IDEMPOTENCY_KEY_RETENTION_DAYS = 7
    token, _ = api_token_create(name="Storefront")
    _key(token, "old", timedelta(days=7, seconds=1))
    _key(token, "older", timedelta(days=30))
    _key(token, "recent", timedelta(days=6, hours=23))

    assert idempotency_keys_purge(now=NOW) == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


def test_the_retention_is_a_setting(settings):
    settings.IDEMPOTENCY_KEY_RETENTION_DAYS = 1
    token, _ = api_token_create(name="Storefront")
    _key(token, "yesterday", timedelta(days=1, minutes=1))

    assert idempotency_keys_purge(now=NOW) == 1


def test_a_purged_key_is_a_new_request_again(settings):
    token, _ = api_token_create(name="Storefront")
    run(token, lambda: 1)
    IdempotencyKey.objects.update(
        created_at=timezone.now() - timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS + 1)
    )
    idempotency_keys_purge()

    answer = run(token, lambda: 2)

    assert (answer.body, answer.replayed) == ('{"n": 2}', False)


def test_beat_purges_keys_daily_through_the_task(settings):
    from backoffice.api.tasks import idempotency_keys_purge_task
    from backoffice.celery import app

    token, _ = api_token_create(name="Storefront")
    _key(token, "old", timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS + 1))
    entry = app.conf.beat_schedule["idempotency-keys-purge"]

    assert entry["task"] == idempotency_keys_purge_task.name == "backoffice.api.tasks.idempotency_keys_purge_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {41})
    assert idempotency_keys_purge_task.apply().get() == 1
    assert not IdempotencyKey.objects.exists()


def test_a_worker_knows_the_purge_task(settings):
    """backoffice.api is no app of its own: a fresh process (as a worker starts) must still find it."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    script = (
        "import django; django.setup(); from backoffice.celery import app; app.loader.import_default_modules(); "
        "print('backoffice.api.tasks.idempotency_keys_purge_task' in app.tasks)"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "True"


def test_managers_revoke_tokens_in_the_admin(client_as):
    token, _ = api_token_create(name="Old storefront")
    manager = client_as("Manager", is_staff=True)

    listing = manager.get("/admin/backoffice/apitoken/")
    response = manager.post(
        "/admin/backoffice/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert listing.status_code == 200 and token.prefix in listing.content.decode()
    assert response.status_code == 200
    assert ApiToken.objects.get().is_active is False


def test_clerks_do_not_see_tokens(client_as):
    clerk = client_as("Clerk", is_staff=True)

    assert clerk.get("/admin/backoffice/apitoken/").status_code == 403
