"""The API plumbing on its own: idempotent runs, token revocation in the admin."""

import pytest

from backoffice.api.idempotency import idempotent_run
from backoffice.api.tokens import api_token_create
from backoffice.models import ApiToken, IdempotencyKey

pytestmark = pytest.mark.django_db


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


def test_a_failure_after_the_operation_keeps_the_key_in_progress():
    """The operation's work is committed once `perform` returns: a retry must not do it twice."""
    token, _ = api_token_create(name="Storefront")

    def broken_render(result):
        raise Unavailable

    with pytest.raises(Unavailable):
        run(token, lambda: 1, broken_render)

    assert IdempotencyKey.objects.get().response_status is None


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
