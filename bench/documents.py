"""Invoice PDF render time: p50/p95 of turning an issued invoice into a PDF, as the invoice.pdf view does
(read the invoice with its order, payments and credit notes, build the context, render the template
and run WeasyPrint), for a typical 5-line invoice and a 40-line one that runs to two pages; and the
same for the HTTP view (sign-in, permission check and all) through Django's test client. Wall-clock
p50/p95, and the CPU time per render, which says more on a machine busy with other work.

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


def render_invoice(number: str) -> bytes:
    from orders.documents.rendering import render_pdf
    from orders.documents.selectors import invoice_document, invoice_get

    return render_pdf("orders/documents/invoice.html", invoice_document(invoice_get(order_number=number)))


def pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def measure(name: str, function, repeat: int) -> None:
    """Wall-clock p50/p95 of `repeat` calls after a warm-up, and the CPU time of this process per call
    (p50), which a busy machine inflates far less than the wall clock."""
    function()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    report_timings(name, wall)
    report(f"{name}_cpu_p50", f"{statistics.median(cpu):.1f}", "ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    django_setup(fresh=True)

    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    data = build_data()
    for lines in (5, 40):
        number = invoiced_order(data["customer"], lines)
        pdf = render_invoice(number)
        report(f"invoice_{lines}_lines_pages", pages(pdf), "pages")
        report(f"invoice_{lines}_lines_size", round(len(pdf) / 1024, 1), "KiB")
        measure(f"invoice_pdf_{lines}_lines", lambda number=number: render_invoice(number), args.repeat)

    accountant = User.objects.create_user("bench-accountant", password="x")
    accountant.groups.add(Group.objects.get(name="Accountant"))
    client = Client()
    client.force_login(accountant)
    number = invoiced_order(data["customer"], 5)
    url = reverse("orders:invoice-pdf", args=[number])

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    measure("invoice_pdf_view_5_lines", get, args.repeat)


if __name__ == "__main__":
    main()
