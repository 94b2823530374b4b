"""Shipping labels made by Celery workers: labels per second with 1 and 2 worker processes for a batch
of 1,000 labels (a table-rate carrier, one parcel per shipment, 4x6 inch PDF with a Code 128 barcode),
timed from asking (orders.services.labels.labels_request, as the batch view does) until the last
label is stored, and until the batch's job has merged them into one PDF. Also: the request itself,
one label rendered in process, and the merge.

Builds its own database (BENCH_DATABASE_URL, see bench/_setup.py), uses the Redis of BENCH_REDIS_URL
(default redis://127.0.0.1:6379/14) on a queue of its own, and writes labels into a temporary folder.
Each worker is `celery -A backoffice worker --concurrency 1`, so "2 workers" is 2 processes.

    python bench/labels.py [--labels 1000]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _setup import ROOT, django_setup, report


def build_data(count: int) -> list[int]:
    """`count` ready shipments of one parcel each, going with Swift Standard; returns the parcel ids."""
    from decimal import Decimal

    from inventory import services
    from inventory.models import Product, TaxClass, Warehouse
    from inventory.services import StockLine
    from orders.models import Carrier, CarrierService, Parcel, RateBand, Shipment, ShippingZone, WarehousePriority
    from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput, order_place
    from pricing.models import PricingPolicy, TaxRate

    PricingPolicy.current()
    tax = TaxClass.objects.create(code="standard", name="Standard")
    TaxRate.objects.create(tax_class=tax, rate=Decimal("0.2"), valid_from="2020-01-01")
    warehouse = Warehouse.objects.create(
        code="LDS", name="Leeds warehouse", line1="1 Depot Road", city="Leeds", postal_code="LS1 1AA", country="GB"
    )
    WarehousePriority.objects.create(country="GB", warehouse=warehouse, priority=1)
    product = Product.objects.create(
        sku="MUG", name="Mug", tax_class=tax, list_price=Decimal("12.00"), weight_kg=Decimal("0.450")
    )
    services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, count * 2)])
    swift = Carrier.objects.create(code="swift", name="Swift", kind=Carrier.Kind.TABLE_RATE, tracking_prefix="SW")
    standard = CarrierService.objects.create(carrier=swift, code="standard", name="Standard", transit_days=2)
    uk = ShippingZone.objects.create(carrier=swift, name="UK", countries=["GB"])
    RateBand.objects.create(service=standard, zone=uk, max_weight_grams=2000, price_amount=Decimal("3.95"))
    for n in range(count):
        order_place(
            data=OrderInput(
                channel="phone",
                lines=(LineInput("MUG", 1),),
                shipments=(
                    ShipmentInput(
                        ship_to=AddressInput(f"Customer {n}", f"{n + 1} High Street", "Leeds", "LS1 1AA", "GB"),
                        shipping_method="Standard",
                        shipping_price=Decimal("4.95"),
                    ),
                ),
                payment_method="cod",
                customer_name=f"Customer {n}",
                email=f"customer{n}@example.test",
            )
        )
    # Packed (the pack station's part) and sent with Swift Standard (rate shopping's part).
    Shipment.objects.update(service=standard)
    Parcel.objects.bulk_create(
        Parcel(shipment_id=pk, position=1, weight_grams=450) for pk in Shipment.objects.values_list("pk", flat=True)
    )
    return list(Parcel.objects.order_by("pk").values_list("pk", flat=True))


def reset_labels(media: Path) -> None:
    from orders.models import Parcel

    Parcel.objects.update(label_status="none", tracking_number="", label_file="", label_attempts=0, rate_amount=None)
    shutil.rmtree(media / "labels", ignore_errors=True)


def start_workers(count: int) -> list[subprocess.Popen]:
    from backoffice.models import WorkerHeartbeat

    processes, hostnames = [], []
    for _ in range(count):
        hostname = f"bench-{uuid.uuid4().hex[:8]}@localhost"
        hostnames.append(hostname)
        command = [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--hostname", hostname,
                   "--concurrency", "1", "--loglevel", "ERROR", "--without-gossip", "--without-mingle"]  # fmt: skip
        env = {**os.environ, "WORKER_HEARTBEAT_INTERVAL": "1"}
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
    deadline = time.monotonic() + 60
    while WorkerHeartbeat.objects.filter(hostname__in=hostnames).count() < count:
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            stop_workers(processes)
            raise SystemExit("the workers did not start")
        time.sleep(0.2)
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def run(workers: int, parcel_ids: list[int], media: Path) -> dict:
    from backoffice.models import BackgroundJob
    from orders.models import Parcel
    from orders.services.labels import labels_request

    reset_labels(media)
    processes = start_workers(workers)
    try:
        started = time.perf_counter()
        job = labels_request(parcel_ids=parcel_ids, job=True)
        requested = time.perf_counter()
        labelled = None
        while True:
            if labelled is None and not Parcel.objects.filter(label_status="pending").exists():
                labelled = time.perf_counter()
            finished = BackgroundJob.objects.filter(pk=job.pk, finished_at__isnull=False).first()
            if finished:
                merged = time.perf_counter()
                break
            time.sleep(0.1)
    finally:
        stop_workers(processes)
    created = Parcel.objects.filter(label_status="created").count()
    if created != len(parcel_ids) or finished.status != BackgroundJob.Status.SUCCEEDED:
        raise SystemExit(f"{created} of {len(parcel_ids)} labels made; job {finished.status}: {finished.message}")
    return {"request": requested - started, "labels": labelled - started, "merged": merged - started}


def render_in_process(repeat: int = 30) -> list[float]:
    from orders.models import Parcel
    from orders.services.labels import parcel_label_create

    samples = []
    for parcel_id in list(Parcel.objects.order_by("pk").values_list("pk", flat=True))[:repeat]:
        # Pending as labels_request leaves it, without enqueueing a task (no worker runs yet).
        Parcel.objects.filter(pk=parcel_id).update(label_status="pending")
        started = time.perf_counter()
        parcel_label_create(parcel_id=parcel_id)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=1000)
    arguments = parser.parse_args()
    # Stopped from outside: still stop the workers it started (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    media = Path(tempfile.mkdtemp(prefix="bench-labels-"))
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ["CELERY_QUEUE"] = f"bench-labels-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        django_setup(fresh=True)
        import logging

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        started = time.perf_counter()
        parcel_ids = build_data(arguments.labels)
        report("setup_orders_placed", f"{time.perf_counter() - started:.0f}", "s")
        report("cpu_count", os.cpu_count(), "cores")
        samples = render_in_process()
        report("label_in_process_p50", f"{statistics.median(samples):.0f}", "ms")
        for workers in (1, 2):
            timing = run(workers, parcel_ids, media)
            name = f"{workers}_worker{'s' if workers > 1 else ''}"
            report(f"labels_per_second_{name}", f"{len(parcel_ids) / timing['labels']:.1f}", "labels/s")
            report(f"batch_request_{name}", f"{timing['request']:.1f}", "s")
            report(f"batch_until_merged_pdf_{name}", f"{timing['merged']:.1f}", "s")
    finally:
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
