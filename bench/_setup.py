"""Shared set-up of the benchmarks: a database of their own on the machine's PostgreSQL.

Each benchmark calls `django_setup()` before importing models. The database is named by
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/backoffice_bench) and is recreated
with fresh migrations when `fresh=True`.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def django_setup(*, fresh: bool) -> None:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/backoffice_bench")
    if fresh:
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(url)
        with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(params["dbname"])))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    # The test settings: production settings without a static-files build step.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def timed(function, repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls, after one warm-up call."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, value, unit: str) -> None:
    print(f"{name}: {value} {unit}", flush=True)


def report_timings(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    report(f"{name}_p50", f"{statistics.median(ordered):.1f}", "ms")
    report(f"{name}_p95", f"{ordered[max(0, int(len(ordered) * 0.95) - 1)]:.1f}", "ms")
