"""The order list with 1,000,000 orders: server time of the page through the real view, signed in as the
demo clerk (first and deep pages, each filter, filters together, searches), and the queries per page
at page sizes 25 and 100.

The database is the demo data set with `seed_demo --orders 1000000` (the recent orders placed through
the services, the history written in bulk), in BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_list). A database that already holds that many orders is
reused; anything else there is dropped and built again (a few minutes). The tables are vacuumed
before measuring, as autovacuum would have done on a live system, so that index-only scans work.

    python bench/order_list.py
"""

import os
import statistics
import time
from datetime import timedelta

from _setup import django_setup, report, report_timings, timed

ORDERS = 1_000_000
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_list"
REPEAT = 20


def existing_orders(url: str) -> int:
    """Orders in the benchmark database, or -1 when it or its tables do not exist yet."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        with psycopg.connect(**conninfo_to_dict(url)) as conn:
            return conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]
    except psycopg.Error:
        return -1


def build() -> None:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("seed_demo", "--orders", str(ORDERS), verbosity=1)
    report("data_build", f"{time.monotonic() - started:.0f}", "s")


def vacuum() -> None:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in ("orders_order", "orders_shipment", "orders_orderline", "orders_shipmentline"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    report("vacuum", f"{time.monotonic() - started:.0f}", "s")


def cases() -> dict[str, dict]:
    """Each measured page: its query string."""
    from django.utils import timezone

    from inventory.models import Warehouse
    from orders.models import Order

    warehouses = dict(Warehouse.objects.values_list("code", "pk"))
    newest = Order.objects.order_by("-id").values_list("id", flat=True)
    middle = newest[ORDERS // 2]
    sample = Order.objects.filter(pk=middle).values("number", "customer_name", "email").get()
    external = Order.objects.filter(channel="marketplace", pk__lt=middle).order_by("-id").values("external_id")[:1]
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    a_year_ago = last_month.replace(year=last_month.year - 1)
    month_end = (last_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    year_ago_end = (a_year_ago + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    surname = sample["customer_name"].split()[-1].lower()
    return {
        "first_page": {},
        "deep_page": {"before": middle},
        "status_ready": {"status": "ready"},
        "status_on_hold": {"status": "on_hold"},
        "status_completed": {"status": "completed"},
        "status_cancelled": {"status": "cancelled"},
        "channel_pos": {"channel": "pos"},
        "channel_web_deep": {"channel": "web", "before": middle},
        "payment_unpaid": {"payment_status": "unpaid"},
        "payment_partially_refunded": {"payment_status": "partially_refunded"},
        "hold_payment_pending": {"hold_reason": "payment_pending"},
        "warehouse_gla": {"warehouse": warehouses["GLA"]},
        "warehouse_lds_deep": {"warehouse": warehouses["LDS"], "before": middle},
        "dates_last_month": {"placed_from": last_month, "placed_to": month_end},
        "dates_a_year_ago": {"placed_from": a_year_ago, "placed_to": year_ago_end},
        "dates_since_a_year_ago": {"placed_from": a_year_ago},
        "dates_until_a_year_ago": {"placed_to": year_ago_end},
        # Filters together, among them combinations no order has (walk-in orders are never cancelled,
        # completed ones never unpaid), which must not walk the table looking for one.
        "combined_cancelled_pos": {"status": "cancelled", "channel": "pos"},
        "combined_completed_unpaid": {"status": "completed", "payment_status": "unpaid"},
        "combined_web_on_hold_payment": {"channel": "web", "status": "on_hold", "hold_reason": "payment_pending"},
        "combined_brs_pos_a_year_ago": {
            "warehouse": warehouses["BRS"],
            "channel": "pos",
            "placed_from": a_year_ago,
            "placed_to": year_ago_end,
        },
        "combined_gla_refunded": {"warehouse": warehouses["GLA"], "payment_status": "refunded"},
        "search_number": {"q": sample["number"]},
        "search_number_prefix": {"q": sample["number"][:-2]},
        "search_number_digits": {"q": str(int(sample["number"].rsplit("-", 1)[1]))},
        "search_surname": {"q": surname},
        "search_full_name": {"q": sample["customer_name"]},
        "search_name_prefix": {"q": surname[:2]},
        "search_email_prefix": {"q": (sample["email"] or "olivia")[:8]},
        "search_external_id": {"q": external[0]["external_id"]},
        "search_no_hits": {"q": "zzqxv"},
        "search_no_hits_deep": {"q": "zzqxv", "before": middle},
        "search_surname_deep": {"q": surname, "before": middle},
        "search_surname_cancelled_pos": {"q": surname, "status": "cancelled", "channel": "pos"},
        "search_surname_gla": {"q": surname, "warehouse": warehouses["GLA"]},
        "search_surname_a_year_ago": {"q": surname, "placed_from": a_year_ago, "placed_to": year_ago_end},
    }


def page_timings(client, pages: dict[str, dict]) -> None:
    """Wall-clock server time of each page (view, queries, template), and the CPU time the Django
    process spent on it: on a busy machine the wall-clock time includes waiting for a core."""
    from django.urls import reverse

    url = reverse("orders:order-list")
    for name, params in pages.items():
        cpu = []

        def call(params=params, cpu=cpu):
            started = time.process_time()
            response = client.get(url, params)
            cpu.append((time.process_time() - started) * 1000)
            assert response.status_code == 200, (params, response.status_code)

        report_timings(f"order_list_{name}", timed(call, repeat=REPEAT))
        report(f"order_list_{name}_cpu_p50", f"{statistics.median(cpu[1:]):.1f}", "ms")


def query_counts(client, pages: dict[str, dict]) -> None:
    """Statements per page, at page sizes 25 and 100 (the view shows 50; the selector takes any)."""
    from functools import partial
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from orders import selectors

    url = reverse("orders:order-list")
    original = selectors.order_list
    for name in ("first_page", "status_cancelled", "warehouse_gla", "dates_last_month", "search_surname"):
        for size in (25, 100):
            listing = partial(original, limit=size)
            with mock.patch.object(selectors, "order_list", listing), CaptureQueriesContext(connection) as queries:
                response = client.get(url, pages[name])
            assert response.status_code == 200
            report(f"order_list_{name}_queries_{size}", len(queries.captured_queries), "queries")


def main() -> None:
    url = os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_URL)
    found = existing_orders(url)
    fresh = found < ORDERS
    django_setup(fresh=fresh)
    if fresh:
        build()
    vacuum()
    from django.contrib.auth.models import User
    from django.test import Client

    from orders.models import Order

    report("orders", Order.objects.count(), "orders")
    # Wall-clock times: on a shared machine, the load says how much of it was waiting for a core.
    report("load_average_before", f"{os.getloadavg()[0]:.1f}", "processes")
    client = Client()
    client.force_login(User.objects.get(username="clerk"))
    pages = cases()
    page_timings(client, pages)
    query_counts(client, pages)
    report("load_average_after", f"{os.getloadavg()[0]:.1f}", "processes")


if __name__ == "__main__":
    main()
