"""The run command's launcher brings the whole system up and Ctrl-C takes all of it down."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import psutil
import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return None, None


@pytest.fixture
def scratch_database():
    """A database name the launcher must create itself; dropped afterwards."""
    admin_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    name = f"launcher_{uuid.uuid4().hex[:10]}"
    yield name, admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_launcher_runs_web_worker_and_beat_and_stops_them_on_ctrl_c(scratch_database, tmp_path):
    name, database_url = scratch_database
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update(
        DJANGO_SETTINGS_MODULE="backoffice.settings",
        DATABASE_URL=database_url,
        PORT=str(port),
        CELERY_QUEUE=f"launcher-{name}",
        WEB_CONCURRENCY="1",
        WORKER_CONCURRENCY="1",
    )
    log = tmp_path / "launcher.log"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "backoffice.launcher"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Generous: a first start migrates and loads the demo data set, and CI machines are slower.
        deadline = time.monotonic() + 240
        status = body = None
        while status != 200:
            assert launcher.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"not healthy in time: {status} {body}\n{log.read_text()[-6000:]}"
            time.sleep(0.5)
            status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        children = psutil.Process(launcher.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        assert any("gunicorn" in command for command in commands)
        assert any("celery" in command and " worker" in command for command in commands)
        assert any("celery" in command and " beat" in command for command in commands)

        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=30)

        output = log.read_text()
        assert "Backoffice is running at" in output
        assert "clerk" in output and "demo" in output
        assert launcher.returncode == 0
        time.sleep(0.5)
        assert [child.pid for child in children if child.is_running() and child.status() != "zombie"] == []
        assert get_json(f"http://127.0.0.1:{port}/healthz") == (None, None)
    finally:
        if launcher.poll() is None:
            # A failed test must not leave a web server and workers behind: take the whole tree down.
            for process in [*psutil.Process(launcher.pid).children(recursive=True), launcher]:
                process.kill()
            launcher.wait()
