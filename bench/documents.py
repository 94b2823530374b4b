"""Invoice PDFs: p50/p95 of rendering an issued invoice into a kept PDF, as the worker's task does
(orders.services.documents.document_render: read the invoice with its order, payments and credit
notes, build the context and its version, render the template, run WeasyPrint, store the file and mark
the row ready), for a typical 5-line invoice and a 40-line one that runs to several pages; and of the
invoice.pdf view serving the kept PDF (sign-in, permission check, the context and its version, the
file) through Django's test client, which is what a web worker now spends on it. Wall-clock p50/p95,
and the CPU time per call, which says more on a machine busy with other work.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_docs python bench/documents.py [--repeat 50]

Recreates its database. Prints name: value unit lines.
"""

import argparse
import statistics
import subprocess
import time
from decimal import Decimal

from _setup import django_setup, report, report_timings

SKUS = 40


def build_data() -> dict:
    from crm.models import Customer
    from inventory import services
    from inventory.models import Product, TaxClass, Warehouse
    from inventory.services import StockLine
    from orders.models import WarehousePriority
    from pricing.models import PricingPolicy, Promotion, TaxRate

    policy = PricingPolicy.current()
    classes = []
    for code, rate in (("standard", "0.2"), ("reduced", "0.05"), ("zero", "0")):
        tax_class = TaxClass.objects.create(code=code, name=code.title())
        TaxRate.objects.create(tax_class=tax_class, rate=Decimal(rate), valid_from="2020-01-01")
        classes.append(tax_class)
    policy.shipping_tax_class = classes[0]
    policy.save()
    warehouse = Warehouse.objects.create(
        code="LDS", name="Leeds", line1="Unit 12, Stourton Link", city="Leeds", postal_code="LS10 1RW", country="GB"
    )
    WarehousePriority.objects.create(country="GB", warehouse=warehouse, priority=1)
    Product.objects.bulk_create(
        Product(
            sku=f"ST-{i:04d}",
            name=f"Stationery item number {i}, assorted colours",
            tax_class=classes[i % 3],
            list_price=Decimal(3 + i % 17) + Decimal("0.49"),
            cost_price=Decimal("1.00"),
        )
        for i in range(SKUS)
    )
    products = list(Product.objects.order_by("pk"))
    services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(p.pk, 100_000) for p in products])
    Promotion.objects.create(name="Spring: 10% off", kind="order_percent", value=Decimal(10))
    customer = Customer.objects.create(
        name="Priya Shah", company="Shah & Daughters Ltd", kind="business", payment_terms_days=30,
        credit_limit_amount=Decimal("1000000"),
    )  # fmt: skip
    return {"customer": customer}


def invoiced_order(customer, lines: int) -> str:
    from orders.services.invoicing import invoice_issue
    from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput, order_place

    address = AddressInput("Priya Shah", "Unit 4, Canal Wharf", "Leeds", "LS11 5PZ", "GB", company="Shah & Daughters")
    placed = order_place(
        data=OrderInput(
            channel="phone",
            lines=tuple(LineInput(f"ST-{i:04d}", 1 + i % 4) for i in range(lines)),
            shipments=(ShipmentInput(ship_to=address, shipping_method="Standard", shipping_price=Decimal("5.95")),),
            payment_method="account",
            customer_id=customer.pk,
            customer_name="Priya Shah",
            billing_address=address,
        )
    )
    invoice_issue(order_id=placed.pk)
    return placed.number


def pending_invoice(number: str) -> int:
    """A new pending Document of the invoice, as a request leaves it for a worker (the one rendered
    before, and its file, removed first)."""
    from orders.documents.sources import document_version, source_get
    from orders.models import Document

    for old in Document.objects.filter(kind=Document.Kind.INVOICE, key=number):
        old.file.delete(save=False)
        old.delete()
    source = source_get(kind=Document.Kind.INVOICE, key=number)
    return Document.objects.create(
        kind=source.kind, key=source.key, version=document_version(source), title=source.title
    ).pk


def render_invoice(document_id: int) -> bytes:
    """The worker's task body; returns the PDF it kept."""
    from orders.services.documents import document_render

    document = document_render(document_id=document_id)
    assert document.status == "ready", (document.status, document.error)
    with document.file.open("rb") as handle:
        return handle.read()


def pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def measure(name: str, function, repeat: int, setup=None) -> None:
    """Wall-clock p50/p95 of `repeat` calls after a warm-up, and the CPU time of this process per call
    (p50), which a busy machine inflates far less than the wall clock. `setup`, untimed, gives each
    call its argument."""
    function(*([setup()] if setup else []))
    wall, cpu = [], []
    for _ in range(repeat):
        arguments = [setup()] if setup else []
        started, started_cpu = time.perf_counter(), time.process_time()
        function(*arguments)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    report_timings(name, wall)
    report(f"{name}_cpu_p50", f"{statistics.median(cpu):.1f}", "ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    django_setup(fresh=True)

    import tempfile

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from backoffice.celery import app

    # The PDFs in a folder of their own; the render task that issuing an invoice enqueues goes nowhere
    # (this process renders instead, as the worker would).
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-documents-")
    app.conf.broker_url = "memory://localhost/"

    data = build_data()
    accountant = User.objects.create_user("bench-accountant", password="x")
    accountant.groups.add(Group.objects.get(name="Accountant"))
    client = Client()
    client.force_login(accountant)
    for lines in (5, 40):
        number = invoiced_order(data["customer"], lines)
        pdf = render_invoice(pending_invoice(number))
        report(f"invoice_{lines}_lines_pages", pages(pdf), "pages")
        report(f"invoice_{lines}_lines_size", round(len(pdf) / 1024, 1), "KiB")
        measure(f"invoice_render_{lines}_lines", render_invoice, args.repeat, setup=lambda n=number: pending_invoice(n))

        url = reverse("orders:invoice-pdf", args=[number])

        def get(url=url, pdf=pdf):
            response = client.get(url)
            assert response.status_code == 200 and response.content == pdf, response.status_code

        measure(f"invoice_pdf_view_kept_{lines}_lines", get, args.repeat)


if __name__ == "__main__":
    main()
