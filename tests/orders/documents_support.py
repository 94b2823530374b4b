"""Test data for the documents: a stationery shop with goods at 20%, 5% and 0% VAT, taxed shipping, a
coupon, a kit, bins, and a business customer on 30-day terms. Used by test_documents and
test_invoicing (and handy for looking at the documents: see render_samples). And getting a document's
PDF as staff do, with the worker's part done in process (`pdf_get`)."""

import re
import subprocess
import time
from decimal import Decimal as D

from inventory import services as inventory_services
from inventory.services import StockLine
from orders.models import Document, WarehousePriority
from orders.services.documents import document_render
from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput, order_place
from pricing.models import PricingPolicy, Promotion
from tests.crm.factories import CustomerFactory
from tests.inventory.factories import (
    BinFactory,
    KitComponentFactory,
    KitFactory,
    ProductFactory,
    TaxClassFactory,
    WarehouseFactory,
)
from tests.pricing.factories import CouponFactory, PromotionFactory, TaxRateFactory

BILLING = AddressInput(
    "Priya Shah", "Unit 4, Canal Wharf", "Leeds", "LS11 5PZ", "GB", company="Shah & Daughters Ltd", line2="Water Lane"
)
DELIVERY = AddressInput(
    "Goods In", "27 Kirkstall Road", "Leeds", "LS3 1LH", "GB", company="Shah & Daughters Ltd", phone="+441134960001"
)


def stationery_shop() -> dict:
    policy = PricingPolicy.current()
    standard = TaxClassFactory(code="standard", name="Standard rate")
    reduced = TaxClassFactory(code="reduced", name="Reduced rate")
    zero = TaxClassFactory(code="zero", name="Zero rate")
    TaxRateFactory(tax_class=standard, rate=D("0.2000"))
    TaxRateFactory(tax_class=reduced, rate=D("0.0500"))
    TaxRateFactory(tax_class=zero, rate=D("0.0000"))
    policy.shipping_tax_class = standard
    policy.save()
    warehouse = WarehouseFactory(
        code="LDS", name="Leeds warehouse", line1="Unit 12, Stourton Link", city="Leeds", postal_code="LS10 1RW"
    )
    WarehousePriority.objects.create(country="GB", warehouse=warehouse, priority=1)
    products = {
        "PEN-BLK": ProductFactory(
            sku="PEN-BLK", name="Fineliner pen, black", list_price=D("2.4900"), tax_class=standard
        ),
        "NOTE-A5": ProductFactory(
            sku="NOTE-A5", name="Notebook A5, dotted", list_price=D("8.9500"), tax_class=standard
        ),
        "BOOK-TYPE": ProductFactory(
            sku="BOOK-TYPE", name="Book: Thinking with Type", list_price=D("19.9900"), tax_class=zero
        ),
        "SEAT-CUSH": ProductFactory(
            sku="SEAT-CUSH", name="Mobility seat cushion", list_price=D("34.0000"), tax_class=reduced
        ),
        "INK-BLU": ProductFactory(
            sku="INK-BLU", name="Fountain pen ink, blue", list_price=D("6.5000"), tax_class=standard
        ),
    }
    for product in products.values():
        product.cost_price = D("1.0000")
        product.save(update_fields=["cost_price"])
    kit = KitFactory(sku="KIT-DESK", name="Desk starter kit", list_price=D("15.0000"), tax_class=standard)
    KitComponentFactory(kit=kit, component=products["PEN-BLK"], quantity=2)
    KitComponentFactory(kit=kit, component=products["INK-BLU"], quantity=1)
    products["KIT-DESK"] = kit
    bins = [BinFactory(warehouse=warehouse, code=f"A-0{index}-1", pick_sequence=index) for index in range(1, 6)]
    inventory_services.stock_receive(
        warehouse_id=warehouse.pk,
        lines=[
            StockLine(product.pk, 400, bins[index % len(bins)].pk)
            for index, product in enumerate(p for p in products.values() if not p.is_kit)
        ],
    )
    notebook_week = PromotionFactory(name="Notebook week", kind=Promotion.Kind.LINE_PERCENT, value=D("15"))
    notebook_week.products.add(products["NOTE-A5"])
    coupon = CouponFactory(
        code="WELCOME10",
        promotion__name="Welcome: 10% off",
        promotion__kind=Promotion.Kind.ORDER_PERCENT,
        promotion__value=D("10"),
    )
    customer = CustomerFactory(
        name="Priya Shah",
        company="Shah & Daughters Ltd",
        kind="business",
        payment_terms_days=30,
        credit_limit_amount=D("100000.00"),
    )
    return {"warehouse": warehouse, "products": products, "bins": bins, "coupon": coupon, "customer": customer}


def business_order(shop: dict, **fields):
    """An on-account order of five lines at three VAT rates with the 10% coupon, shipped to the
    customer's goods-in door, billed to their office."""
    data = OrderInput(
        **{
            "channel": "phone",
            "lines": (
                LineInput("PEN-BLK", 12),
                LineInput("NOTE-A5", 3),
                LineInput("BOOK-TYPE", 1),
                LineInput("SEAT-CUSH", 1),
                LineInput("KIT-DESK", 2),
            ),
            "shipments": (ShipmentInput(ship_to=DELIVERY, shipping_method="Standard", shipping_price=D("5.95")),),
            "payment_method": "account",
            "customer_id": shop["customer"].pk,
            "customer_name": "Priya Shah",
            "email": "accounts@shah-daughters.example",
            "billing_address": BILLING,
            "coupon_codes": ("WELCOME10",),
            "notes_customer": "Please deliver to the goods-in door at the back.",
            **fields,
        }
    )
    return order_place(data=data)


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The text of a PDF as pdftotext reads it (poppler-utils)."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def render_pending() -> list[Document]:
    """Render every pending document in process, as a worker would (the task's body)."""
    pending = Document.objects.filter(status=Document.Status.PENDING).order_by("pk").values_list("pk", flat=True)
    return [document_render(document_id=pk) for pk in pending]


def pdf_get(client, url: str):
    """GET a document's PDF: the first GET asks a worker for it (202, a page that waits for it); here
    what is pending is rendered in process, and the GET again serves the kept file. A PDF kept already
    is served at once."""
    response = client.get(url)
    if response.status_code == 202:
        render_pending()
        response = client.get(url)
    return response


def pdf_poll(client, url: str, *, timeout: float = 120):
    """GET a document's PDF while a real worker makes it: on a 202, poll the status URL the page polls
    (its hx-get, as htmx does, every second) until it sends to the PDF (HX-Redirect), then GET that."""
    response = client.get(url)
    if response.status_code != 202:
        return response
    status_url = re.search(r'hx-get="([^"]+)"', response.content.decode()).group(1)
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(status_url, headers={"HX-Request": "true"})
        assert status.status_code == 200, status.status_code
        if "HX-Redirect" in status:
            return client.get(status["HX-Redirect"])
        assert 'data-status="pending"' in status.content.decode(), status.content.decode()
        assert time.monotonic() < deadline, f"waited {timeout} s for the PDF"
        time.sleep(1)
