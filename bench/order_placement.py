"""Placing orders through the service layer: orders per second with 1 and 2 processes, latency, CPU
time of the placing process and statements per 3-line order (priced, allocated, reserved, evented,
numbered), with and without the transaction's BEGIN/COMMIT and savepoints.

Builds its own database (backoffice_bench, see bench/_setup.py): 3 warehouses, 300 products with
plenty of stock, 50 running promotions. Each order is a phone order of 3 lines for one address.

    python bench/order_placement.py [--orders 300]
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal

from _setup import django_setup, report

PRODUCTS = 300


def build_data() -> None:
    from decimal import Decimal

    from inventory import services
    from inventory.models import Product, TaxClass, Warehouse
    from inventory.services import StockLine
    from orders.models import WarehousePriority
    from pricing.models import PricingPolicy, Promotion, TaxRate

    PricingPolicy.current()
    tax = TaxClass.objects.create(code="standard", name="Standard")
    TaxRate.objects.create(tax_class=tax, rate=Decimal("0.2"), valid_from="2020-01-01")
    warehouses = [
        Warehouse.objects.create(code=code, name=code, line1="1 Road", city="Leeds", postal_code="LS1", country="GB")
        for code in ("LDS", "BRS", "GLA")
    ]
    for priority, warehouse in enumerate(warehouses):
        WarehousePriority.objects.create(country="GB", warehouse=warehouse, priority=priority)
    Product.objects.bulk_create(
        [
            Product(sku=f"B-{i:04d}", name=f"Bench product {i}", tax_class=tax, list_price=Decimal(10 + i % 50))
            for i in range(PRODUCTS)
        ]
    )
    products = list(Product.objects.order_by("pk"))
    for warehouse in warehouses:
        services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(p.pk, 100_000) for p in products])
    rng = random.Random(3)
    for i in range(50):
        promotion = Promotion.objects.create(
            name=f"Promotion {i}", kind=rng.choice(["line_percent", "order_percent"]), value=Decimal(rng.randint(1, 15))
        )
        promotion.products.set(rng.sample(products, 5))


def order_input(rng: random.Random):
    from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput

    skus = rng.sample(range(PRODUCTS), 3)
    return OrderInput(
        channel="phone",
        lines=tuple(LineInput(f"B-{i:04d}", rng.randint(1, 3)) for i in skus),
        shipments=(
            ShipmentInput(
                ship_to=AddressInput("Ann Lee", "1 High Street", "Leeds", "LS1 1AA", "GB"),
                shipping_method="Standard",
                shipping_price=Decimal("4.95"),
            ),
        ),
        payment_method="cod",
        customer_name="Ann Lee",
        email="ann@example.test",
    )


def statements_per_order() -> tuple[int, int]:
    """(statements, statements with BEGIN, COMMIT and savepoints) of one order, caches warm."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services.placement import order_place

    order_place(data=order_input(random.Random(1)))  # warm caches and connections
    with CaptureQueriesContext(connection) as queries:
        order_place(data=order_input(random.Random(2)))
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    statements = [q for q in queries.captured_queries if not q["sql"].lstrip().startswith(control)]
    return len(statements), len(queries.captured_queries)


def worker(count: int, seed: int) -> None:
    """One placing process (started by run() as a separate interpreter): prints its latencies and its
    CPU time per order (ms) as JSON."""
    django_setup(fresh=False)
    from orders.services.placement import order_place

    rng = random.Random(seed)
    order_place(data=order_input(rng))  # warm up
    latencies = []
    cpu = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        order_place(data=order_input(rng))
        latencies.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"latencies": latencies, "cpu": (time.process_time() - cpu) * 1000 / count}))


def run(processes: int, per_process: int) -> tuple[float, list[float], float]:
    command = [sys.executable, __file__, "--worker", "--orders", str(per_process)]
    started = time.perf_counter()
    workers = [
        subprocess.Popen([*command, "--seed", str(seed)], stdout=subprocess.PIPE, text=True)
        for seed in range(100, 100 + processes)
    ]
    latencies, cpu = [], []
    for process in workers:
        output, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"a placing process failed ({process.returncode})")
        result = json.loads(output.strip().splitlines()[-1])
        latencies += result["latencies"]
        cpu.append(result["cpu"])
    elapsed = time.perf_counter() - started
    return processes * per_process / elapsed, latencies, statistics.mean(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300, help="orders per process and run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.orders, arguments.seed)
        return
    django_setup(fresh=True)
    build_data()
    statements, with_control = statements_per_order()
    report("statements_per_3_line_order", statements, "statements")
    report("statements_per_3_line_order_with_begin_commit_savepoints", with_control, "statements")
    for processes in (1, 2):
        rate, latencies, cpu = run(processes, arguments.orders)
        latencies.sort()
        # Includes interpreter and Django start-up: a slight underestimate of the steady rate.
        report(f"orders_per_second_{processes}_process", f"{rate:.0f}", "orders/s")
        report(f"place_order_{processes}_process_p50", f"{statistics.median(latencies):.1f}", "ms")
        report(f"place_order_{processes}_process_p95", f"{latencies[int(len(latencies) * 0.95)]:.1f}", "ms")
        # CPU time of the placing process alone (Python, Django, psycopg), whatever else runs.
        report(f"place_order_{processes}_process_cpu", f"{cpu:.1f}", "ms/order")


if __name__ == "__main__":
    main()
