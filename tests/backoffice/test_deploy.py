"""Production settings: `check --deploy` is clean, CSP is always sent, sign-in is throttled."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD


def run_manage(*args, **env):
    # As a production server would run: without the test suite's async-unsafe switch (tests/conftest.py).
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update(DJANGO_SETTINGS_MODULE="backoffice.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_https_hardening():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECURE_HTTPS="1",
        SECRET_KEY="x8#hd92jks0-q8v1m3n5b7c9z2l4k6j8h0g1f3d5s7a9p2o4i6u8y0t",
        ALLOWED_HOSTS="backoffice.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_every_response_carries_a_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_sign_in_is_locked_after_repeated_failures(client, staff_user, settings):
    staff_user("Clerk", username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "target", "password": "wrong"})
        assert response.status_code == 200
    # The failure that reaches the limit locks the account.
    assert client.post(reverse("login"), {"username": "target", "password": "wrong"}).status_code == 429

    # Now even the right password is refused, with a plain explanation.
    response = client.post(reverse("login"), {"username": "target", "password": PASSWORD})

    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session
