"""The printed documents: invoice, packing slip, credit note and pick list as PDF (text read back with
pdftotext) and as web pages, who may open them, and the links and actions on the order and return
pages. PDFs are made by a worker and kept: the first GET of a `.pdf` URL answers 202 with a page that
waits for it (tests/orders/documents_support.pdf_get renders in process what is pending, as the worker
would, and GETs again); the kept PDFs, their versions, failures and a real worker are tested at the
end."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import weasyprint
from barcode import Code128
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from backoffice import roles
from orders.documents.barcodes import QUIET_ZONE, code128_svg
from orders.documents.sources import Source, document_version, source_get
from orders.models import Document, Invoice, PickLine, PickList
from orders.services.documents import MAX_ATTEMPTS, document_render
from orders.services.invoicing import invoice_issue
from orders.services.lifecycle import order_payment_record
from orders.services.returns import ReturnReceipt, ReturnRequest, return_authorise, return_receive, return_settle
from orders.services.shipping import shipment_ship
from orders.tasks import document_render_task
from tests.inventory.factories import BinFactory
from tests.orders.documents_support import (
    business_order,
    pdf_get,
    pdf_poll,
    pdf_text,
    render_pending,
    stationery_shop,
)
from tests.workers import start_worker, stop_worker

pytestmark = pytest.mark.django_db

ISSUED_AT = datetime(2026, 3, 14, 10, 30, tzinfo=UTC)
# The documents print a true minus sign and a multiplication sign.
MINUS, TIMES = "\N{MINUS SIGN}", "\N{MULTIPLICATION SIGN}"


@pytest.fixture
def shop(settings):
    settings.COMPANY_NAME = "Inkwell & Co. Ltd"
    settings.COMPANY_ADDRESS = "14 Cloth Hall Street\nLeeds LS1 2HD\nUnited Kingdom"
    settings.COMPANY_VAT_NUMBER = "GB123456789"
    settings.COMPANY_REGISTRATION = "Registered in England and Wales no. 01234567"
    settings.COMPANY_EMAIL = "hello@inkwell.example"
    settings.COMPANY_BANK_DETAILS = "Example Bank plc\nSort code 12-34-56 Account 12345678"
    settings.INVOICE_FOOTER = "Please quote the invoice number with your payment."
    settings.RETURN_INSTRUCTIONS = "Send it back within 30 days.\nWrite the return number on the parcel."
    return stationery_shop()


@pytest.fixture(autouse=True)
def document_files(media):
    """The kept PDFs go to a media folder of the test's own."""
    return media


@pytest.fixture
def invoiced(shop):
    placed = business_order(shop)
    invoice_issue(order_id=placed.pk, at=ISSUED_AT)
    return placed


def words(text: str) -> str:
    """pdftotext's text with runs of spaces (its layout) made single."""
    return re.sub(r"[ \t]+", " ", text)


# --- invoice ------------------------------------------------------------------------------------


def test_the_invoice_pdf_shows_number_dates_addresses_lines_tax_breakdown_and_totals(client_as, invoiced):
    response = pdf_get(client_as(roles.ACCOUNTANT), reverse("orders:invoice-pdf", args=[invoiced.number]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="INV-2026-000001.pdf"' in response["Content-Disposition"]
    text = words(pdf_text(response.content))
    # Seller, with VAT number and registration, and the configured footer.
    for expected in ("Inkwell & Co. Ltd", "14 Cloth Hall Street", "VAT no. GB123456789", "no. 01234567"):
        assert expected in text
    assert "Please quote the invoice number with your payment." in text
    # Number, dates, terms.
    assert "Invoice number INV-2026-000001" in text
    assert "Invoice date 14 March 2026" in text
    assert "Payment terms 30 days net" in text
    assert "Due date 13 April 2026" in text
    assert f"Order {invoiced.number}" in text
    # The buyer's billing address and the delivery address.
    for expected in ("Priya Shah", "Shah & Daughters Ltd", "Unit 4, Canal Wharf", "Water Lane", "Leeds LS11 5PZ"):
        assert expected in text
    assert "27 Kirkstall Road" in text and "Leeds LS3 1LH" in text
    # Lines: quantity, unit price, discount, VAT rate, VAT and amount, to the cent.
    assert re.search(rf"Notebook A5, dotted 3 8\.95 {MINUS}6\.31 20% 3\.42 20\.54", text)
    assert re.search(rf"Fineliner pen, black 12 2\.49 {MINUS}2\.99 20% 4\.48 26\.89", text)
    assert "Notebook week" in text
    assert re.search(rf"Welcome: 10% off.*\(code WELCOME10\): {MINUS}13\.67", text)
    # Tax breakdown by rate: net, VAT, gross; and its total.
    assert "0% 17.99 0.00 17.99" in text
    assert "5% 29.14 1.46 30.60" in text
    assert "20% 66.99 13.39 80.38" in text
    assert "Total 114.12 14.85 128.97" in text
    # Totals and payment.
    assert "Items 140.72" in text
    assert f"Discounts {MINUS}17.70" in text
    assert "Shipping 5.95" in text
    assert "Total 128.97 GBP" in text
    assert "Includes VAT of 14.85" in text
    assert "Balance due 128.97 GBP" in text
    flowing = " ".join(pdf_text(response.content, layout=False).split())
    assert "Please pay 128.97 GBP by 13 April 2026, quoting INV-2026-000001." in flowing
    assert "Sort code 12-34-56 Account 12345678" in text


def test_the_invoice_shows_what_was_paid_and_credited_since_it_was_issued(client_as, invoiced):
    order_payment_record(order_id=invoiced.pk, amount=D("100.00"), reference="BACS 7781")
    text = words(
        pdf_text(pdf_get(client_as(roles.ACCOUNTANT), reverse("orders:invoice-pdf", args=[invoiced.number])).content)
    )
    assert f"Paid {MINUS}100.00" in text
    assert "Balance due 28.97 GBP" in text

    order_payment_record(order_id=invoiced.pk, amount=D("28.97"), reference="BACS 7790")
    text = words(
        pdf_text(pdf_get(client_as(roles.ACCOUNTANT), reverse("orders:invoice-pdf", args=[invoiced.number])).content)
    )
    assert "Balance due 0.00 GBP" in text
    assert "Nothing is due on this invoice: thank you for your payment." in text
    assert "Sort code" not in text


def test_the_invoice_says_whether_it_is_unpaid_part_paid_overdue_or_paid(client_as, shop):
    recent, old = business_order(shop), business_order(shop)
    invoice_issue(order_id=recent.pk)
    invoice_issue(order_id=old.pk, at=timezone.now() - timedelta(days=45))  # due 15 days ago
    client = client_as(roles.ACCOUNTANT)

    def label(placed):
        page = client.get(reverse("orders:invoice-html", args=[placed.number])).content.decode()
        return re.search(r'class="status \w+">([^<]+)<', page).group(1)

    assert (label(recent), label(old)) == ("Unpaid", "Overdue")
    order_payment_record(order_id=recent.pk, amount=D("50.00"), reference="BACS 1")
    assert label(recent) == "Part paid"
    order_payment_record(order_id=recent.pk, amount=D("78.97"), reference="BACS 2")
    assert label(recent) == "Paid"


def test_the_invoice_web_page_is_the_same_document_with_a_print_button(client_as, invoiced):
    response = client_as(roles.CLERK).get(reverse("orders:invoice-html", args=[invoiced.number]))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/orders/documents.css">' in page
    assert "data-print" in page and "/static/orders/documents.js" in page
    assert 'id="invoice-number">INV-2026-000001<' in page
    assert 'id="invoice-total">128.97 GBP<' in page
    assert reverse("orders:invoice-pdf", args=[invoiced.number]) in page
    assert response["Cache-Control"] == "private, no-store"


def test_an_order_without_an_invoice_has_no_invoice_document(client_as, shop):
    placed = business_order(shop)
    client = client_as(roles.ACCOUNTANT)
    assert client.get(reverse("orders:invoice-pdf", args=[placed.number])).status_code == 404
    assert client.get(reverse("orders:invoice-html", args=["SO-1999-000001"])).status_code == 404


# --- packing slip -------------------------------------------------------------------------------


def test_the_packing_slip_lists_what_is_in_the_parcel_and_where_it_goes_but_no_price(client_as, shop):
    placed = business_order(shop)
    shipment_ship(shipment_id=placed.shipments.get().pk, carrier="DPD", tracking_number="15501234567")

    response = pdf_get(client_as(roles.WAREHOUSE), reverse("orders:packing-slip-pdf", args=[placed.number, 1]))

    assert response.status_code == 200
    assert f'filename="packing-slip-{placed.number}-1.pdf"' in response["Content-Disposition"]
    text = words(pdf_text(response.content))
    assert "PACKING SLIP" in text
    assert f"Order {placed.number}" in text
    assert "Shipment 1 of 1" in text
    assert "Tracking 15501234567" in text
    for expected in ("Goods In", "Shah & Daughters Ltd", "27 Kirkstall Road", "Leeds LS3 1LH", "0113 496 0001"):
        assert expected in text
    assert re.search(r"Fineliner pen, black PEN-BLK 12", text)
    assert re.search(r"Desk starter kit KIT-DESK 2", text)
    assert f"4 {TIMES} Fineliner pen, black PEN-BLK" in text  # the kit's components
    assert "5 items 19 units" in text
    assert "Please deliver to the goods-in door at the back." in text
    assert "Send it back within 30 days." in text and "Write the return number on the parcel." in text
    # No money anywhere: no prices, amounts or currency.
    assert "GBP" not in text
    for amount in ("2.49", "8.95", "19.99", "128.97", "26.89", "5.95"):
        assert amount not in text
    assert not re.search(r"\d+\.\d\d\b", text)


def test_the_packing_slip_carries_the_order_number_as_a_code_128_barcode(client_as, shop):
    placed = business_order(shop)
    page = client_as(roles.WAREHOUSE).get(reverse("orders:packing-slip-html", args=[placed.number, 1]))

    assert page.status_code == 200
    assert f'aria-label="Barcode {placed.number}"' in page.content.decode()
    assert (
        client_as(roles.WAREHOUSE).get(reverse("orders:packing-slip-pdf", args=[placed.number, 2])).status_code == 404
    )


def test_the_barcode_draws_exactly_the_code_128_modules_of_the_value():
    value = "SO-2026-000123"
    svg = str(code128_svg(value, height=40))
    width = int(re.search(r'viewBox="0 0 (\d+) 40"', svg).group(1))
    modules = ["0"] * width
    for start, bar in re.findall(r"M(\d+) 0h(\d+)v40", svg):
        for index in range(int(start), int(start) + int(bar)):
            modules[index] = "1"
    expected = Code128(value).build()[0]
    assert "".join(modules) == "0" * QUIET_ZONE + expected + "0" * QUIET_ZONE
    assert expected.startswith("11010010000")  # start code B
    assert expected.endswith("1100011101011")  # stop pattern


# --- credit note --------------------------------------------------------------------------------


def test_a_return_settled_by_credit_has_a_credit_note_against_the_invoice(client_as, shop):
    BinFactory(warehouse=shop["warehouse"], code="Q-01", is_quarantine=True)
    placed = business_order(shop)
    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD")
    invoice = Invoice.objects.get(order=placed)
    notebooks = shipment.lines.get(order_line__sku="NOTE-A5")
    cushion = shipment.lines.get(order_line__sku="SEAT-CUSH")
    rma = return_authorise(
        order_id=placed.pk,
        lines=[ReturnRequest(notebooks.pk, 2, "damaged"), ReturnRequest(cushion.pk, 1, "not_needed")],
    )
    rma = return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(line.pk, line.quantity) for line in rma.lines.all()])
    rma = return_settle(rma_id=rma.pk, settlement="credit", amount=D("42.29"))  # less a 2.00 restocking fee

    response = pdf_get(client_as(roles.ACCOUNTANT), reverse("orders:credit-note-pdf", args=[rma.number]))

    assert response.status_code == 200
    note = rma.credit_note
    assert f'filename="{note.number}.pdf"' in response["Content-Disposition"]
    text = words(pdf_text(response.content))
    assert f"Credit note number {note.number}" in text
    assert f"Against invoice {invoice.number}" in text
    assert f"Return {rma.number}" in text
    assert "Priya Shah" in text and "Unit 4, Canal Wharf" in text
    # 2 of 3 notebooks (20.54 for 3: 13.69 for 2) and the cushion (30.60), less the fee.
    assert re.search(r"Notebook A5, dotted .*2 20% 13\.69", text)
    assert re.search(r"Mobility seat cushion .*1 5% 30\.60", text)
    assert "Value of the returned goods 44.29" in text
    assert f"Less restocking fee {MINUS}2.00" in text
    assert "Total credit 42.29 GBP" in text
    # The credit split by rate in proportion to the goods, each row net + VAT = gross, adding up.
    rows = [
        (D(net), D(tax), D(gross)) for net, tax, gross in re.findall(r"\d+% (\d+\.\d\d) (\d+\.\d\d) (\d+\.\d\d)", text)
    ]
    assert len(rows) == 2
    assert sum(gross for _, _, gross in rows) == D("42.29")
    assert all(net + tax == gross for net, tax, gross in rows)


def test_a_return_without_a_credit_note_has_no_credit_note_document(client_as, shop):
    placed = business_order(shop)
    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD")
    rma = return_authorise(order_id=placed.pk, lines=[ReturnRequest(shipment.lines.first().pk, 1, "not_needed")])
    assert client_as(roles.ACCOUNTANT).get(reverse("orders:credit-note-pdf", args=[rma.number])).status_code == 404


# --- pick list ----------------------------------------------------------------------------------


@pytest.fixture
def pick_list(shop, staff_user):
    first, second = business_order(shop), business_order(shop, coupon_codes=())
    pick_list = PickList.objects.create(number="PL-2026-000007", warehouse=shop["warehouse"], created_by=staff_user())
    pick_list.shipments.set([first.shipments.get(), second.shipments.get()])
    bins = {b.code: b for b in shop["bins"]}
    products = shop["products"]
    for sequence, (bin_code, sku, quantity, picked, short) in enumerate(
        [
            ("A-01-1", "PEN-BLK", 28, 28, ""),
            ("A-02-1", "NOTE-A5", 6, None, ""),
            ("A-03-1", "BOOK-TYPE", 2, 1, "Only 1 on the shelf"),
        ],
        start=1,
    ):
        PickLine.objects.create(
            pick_list=pick_list,
            sequence=sequence,
            product=products[sku],
            bin=bins[bin_code],
            quantity=quantity,
            picked_quantity=picked,
            short_reason=short,
        )
    return pick_list, first, second


def test_the_pick_list_pdf_walks_the_bins_in_order_and_says_what_goes_to_which_shipment(client_as, pick_list):
    pick_list, first, second = pick_list
    response = pdf_get(client_as(roles.WAREHOUSE), reverse("orders:pick-list-pdf", args=[pick_list.number]))

    assert response.status_code == 200
    text = words(pdf_text(response.content))
    assert "Pick list PL-2026-000007" in text
    assert "To pick 36 units of 3 SKUs" in text
    assert "For 2 shipments" in text
    stops = [text.index(f"{n} A-0{n}-1") for n in (1, 2, 3)]
    assert stops == sorted(stops)
    assert re.search(r"1 A-01-1 Fineliner pen, black PEN-BLK 28 28", text)
    assert re.search(r"3 A-03-1 Book: Thinking with Type BOOK-TYPE 2 1 Only 1 on the shelf", text)
    assert f"{first.number}/1" in text and f"{second.number}/1" in text
    assert f"12 {TIMES} PEN-BLK" in text


def test_the_pick_list_web_page_has_its_number_as_a_barcode(client_as, pick_list):
    pick_list = pick_list[0]
    page = client_as(roles.WAREHOUSE).get(reverse("orders:pick-list-html", args=[pick_list.number])).content.decode()
    assert 'aria-label="Barcode PL-2026-000007"' in page
    assert client_as(roles.WAREHOUSE).get(reverse("orders:pick-list-pdf", args=["PL-1999-000001"])).status_code == 404


# --- who may see and issue them -----------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.BUYER, None])
def test_roles_without_orders_access_get_403_for_every_document(client_as, pick_list, role):
    pick_list, placed, _ = pick_list
    shipment_ship(shipment_id=placed.shipments.get().pk, carrier="DPD")
    client = client_as(role)
    urls = [
        reverse("orders:invoice-pdf", args=[placed.number]),
        reverse("orders:invoice-html", args=[placed.number]),
        reverse("orders:packing-slip-pdf", args=[placed.number, 1]),
        reverse("orders:packing-slip-html", args=[placed.number, 1]),
        reverse("orders:pick-list-pdf", args=[pick_list.number]),
        reverse("orders:pick-list-html", args=[pick_list.number]),
        reverse("orders:credit-note-pdf", args=["RMA-2026-000001"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("orders:invoice-issue", args=[placed.number])).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, invoiced):
    response = client.get(reverse("orders:invoice-pdf", args=[invoiced.number]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_accountant_issues_the_invoice_from_the_order_page(client_as, shop):
    placed = business_order(shop)
    client = client_as(roles.ACCOUNTANT)
    page = client.get(reverse("orders:order-detail", args=[placed.number])).content.decode()
    assert 'id="issue-invoice"' in page
    assert 'id="edit-order"' not in page  # accountants do not edit orders anyway

    response = client.post(reverse("orders:invoice-issue", args=[placed.number]), follow=True)

    invoice = Invoice.objects.get(order=placed)
    page = response.content.decode()
    assert f"Invoice {invoice.number} issued." in page
    assert 'id="issue-invoice"' not in page
    assert reverse("orders:invoice-html", args=[placed.number]) in page
    assert reverse("orders:packing-slip-pdf", args=[placed.number, 1]) in page


def test_warehouse_staff_may_print_but_not_issue_invoices(client_as, shop):
    placed = business_order(shop)
    client = client_as(roles.WAREHOUSE)
    assert 'id="issue-invoice"' not in client.get(reverse("orders:order-detail", args=[placed.number])).content.decode()
    assert client.post(reverse("orders:invoice-issue", args=[placed.number])).status_code == 403
    assert not Invoice.objects.exists()


def test_an_invoiced_order_offers_no_edit_and_a_cancelled_one_no_invoice(client_as, shop):
    invoiced_order, cancelled = business_order(shop), business_order(shop)
    invoice_issue(order_id=invoiced_order.pk)
    client = client_as(roles.MANAGER)
    page = client.get(reverse("orders:order-detail", args=[invoiced_order.number])).content.decode()
    assert 'id="edit-order"' not in page and 'id="invoice-link"' in page

    client.post(reverse("orders:order-cancel", args=[cancelled.number]), {"reason": "Duplicate"})
    response = client.post(reverse("orders:invoice-issue", args=[cancelled.number]), follow=True)
    assert "is cancelled; it cannot be invoiced" in response.content.decode()
    assert not Invoice.objects.filter(order=cancelled).exists()


def test_the_return_page_links_its_credit_note(client_as, shop):
    placed = business_order(shop)
    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD")
    line = shipment.lines.get(order_line__sku="PEN-BLK")
    rma = return_authorise(order_id=placed.pk, lines=[ReturnRequest(line.pk, 1, "not_needed")])
    return_receive(rma_id=rma.pk, receipts=[ReturnReceipt(rma.lines.get().pk, 1)])
    return_settle(rma_id=rma.pk, settlement="credit")

    page = client_as(roles.ACCOUNTANT).get(reverse("orders:return-detail", args=[rma.number])).content.decode()

    assert reverse("orders:credit-note-pdf", args=[rma.number]) in page
    assert reverse("orders:credit-note-html", args=[rma.number]) in page


# --- PDFs made by a worker and kept -------------------------------------------------------------


def invoice_pdf(order) -> str:
    return reverse("orders:invoice-pdf", args=[order.number])


def enqueued(callbacks) -> list:
    """The tasks the on-commit callbacks would enqueue, as (task name, arguments)."""
    return [(callback.func.__self__.name, callback.args) for callback in callbacks]


def test_without_a_worker_the_first_get_asks_for_the_pdf_and_a_second_asks_nothing_more(
    client_as, invoiced, django_capture_on_commit_callbacks
):
    client = client_as(roles.ACCOUNTANT)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(invoice_pdf(invoiced))

    assert response.status_code == 202
    assert response["Cache-Control"] == "private, no-store"
    document = Document.objects.get()
    assert (document.kind, document.key, document.status, document.title, document.attempts) == (
        "invoice",
        invoiced.number,
        "pending",
        "Invoice INV-2026-000001",
        0,
    )
    assert re.fullmatch(r"[0-9a-f]{16}", document.version)
    assert enqueued(callbacks) == [("orders.tasks.document_render_task", (document.pk,))]
    page = response.content.decode()
    assert "Preparing invoice INV-2026-000001…" in page
    status_url = reverse("orders:document-status", args=[document.pk])
    assert f'hx-get="{status_url}" hx-trigger="every 1s" hx-swap="outerHTML"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert reverse("orders:invoice-html", args=[invoiced.number]) in page  # the web page meanwhile

    with django_capture_on_commit_callbacks() as callbacks:
        again = client.get(invoice_pdf(invoiced))
    assert again.status_code == 202
    assert callbacks == []
    assert Document.objects.count() == 1


def test_the_waiting_page_keeps_to_the_content_security_policy(client_as, invoiced):
    response = client_as(roles.ACCOUNTANT).get(invoice_pdf(invoiced))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    page = response.content.decode()
    # htmx from the static files, as every page has it; no inline script, style or event handler.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/backoffice/vendor/htmx-2.0.11.min.js" defer>']
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page


def test_the_status_repeats_the_waiting_block_until_the_pdf_is_ready_then_sends_to_it(client_as, invoiced):
    client = client_as(roles.ACCOUNTANT)
    url = invoice_pdf(invoiced)
    client.get(url)
    status_url = reverse("orders:document-status", args=[Document.objects.get().pk])

    waiting = client.get(status_url, headers={"HX-Request": "true"})

    assert waiting.status_code == 200 and "HX-Redirect" not in waiting
    block = waiting.content.decode()
    assert block.strip().startswith('<section class="card notice document-status"')
    assert 'hx-trigger="every 1s"' in block and "Preparing invoice INV-2026-000001…" in block

    render_pending()
    ready = client.get(status_url, headers={"HX-Request": "true"})
    assert ready.status_code == 200 and ready["HX-Redirect"] == url
    assert client.get(status_url).url == url  # without htmx, a plain redirect
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="INV-2026-000001.pdf"' in response["Content-Disposition"]


def test_the_kept_pdf_is_served_from_its_file_and_rendering_twice_changes_nothing(
    client_as, invoiced, media, monkeypatch
):
    client = client_as(roles.ACCOUNTANT)
    client.get(invoice_pdf(invoiced))
    document = Document.objects.get()
    folder = media / "documents" / "invoice"
    folder.mkdir(parents=True)
    # A file left by an attempt that died before it committed is replaced, not kept beside the real one.
    kept = folder / f"{invoiced.number}-{document.version}.pdf"
    kept.write_bytes(b"half a PDF")

    first = document_render(document_id=document.pk)
    rendered_at = Document.objects.get().rendered_at
    second = document_render(document_id=document.pk)

    document.refresh_from_db()
    assert first.pk == second.pk == document.pk
    assert (document.status, document.error, document.attempts, document.rendered_at) == ("ready", "", 1, rendered_at)
    assert document.file.name == f"documents/invoice/{invoiced.number}-{document.version}.pdf"
    assert [path.name for path in folder.iterdir()] == [kept.name]
    assert kept.read_bytes().startswith(b"%PDF")

    def no_weasyprint(*args, **kwargs):
        raise AssertionError("WeasyPrint ran in the request")

    monkeypatch.setattr(weasyprint, "HTML", no_weasyprint)
    response = client.get(invoice_pdf(invoiced))
    assert response.status_code == 200
    assert response.content == kept.read_bytes()
    assert Document.objects.count() == 1


def test_a_kept_pdf_whose_file_was_lost_is_made_again(client_as, invoiced, media):
    client = client_as(roles.ACCOUNTANT)
    assert pdf_get(client, invoice_pdf(invoiced)).status_code == 200
    document = Document.objects.get()
    (media / document.file.name).unlink()

    waiting = client.get(invoice_pdf(invoiced))
    render_pending()

    assert waiting.status_code == 202
    response = client.get(invoice_pdf(invoiced))
    assert response.status_code == 200
    assert invoiced.number in pdf_text(response.content)
    assert Document.objects.count() == 1


def test_a_packing_slip_whose_shipment_changed_is_a_new_version_and_its_old_pdf_is_not_served(client_as, shop):
    placed = business_order(shop)
    client = client_as(roles.WAREHOUSE)
    url = reverse("orders:packing-slip-pdf", args=[placed.number, 1])
    before = pdf_get(client, url)
    assert "Tracking" not in words(pdf_text(before.content))
    assert client.get(url).content == before.content  # nothing changed: the same file

    shipment_ship(shipment_id=placed.shipments.get().pk, carrier="DPD", tracking_number="15501234567")

    waiting = client.get(url)
    assert waiting.status_code == 202
    assert f"Preparing packing slip {placed.number}/1…" in waiting.content.decode()
    render_pending()
    after = client.get(url)
    assert after.status_code == 200
    assert "Tracking 15501234567" in words(pdf_text(after.content))
    old, new = Document.objects.filter(kind="packing_slip").order_by("pk")
    assert old.key == new.key == f"{placed.number}/1"
    assert old.version != new.version
    assert old.status == new.status == "ready" and old.file.name != new.file.name


def test_a_document_that_changed_before_a_worker_came_to_it_is_rendered_as_it_is_now(client_as, invoiced):
    client = client_as(roles.ACCOUNTANT)
    client.get(invoice_pdf(invoiced))
    asked = Document.objects.get()
    order_payment_record(order_id=invoiced.pk, amount=D("128.97"), reference="BACS 7790")

    current = document_render(document_id=asked.pk)

    asked.refresh_from_db()
    assert current.pk != asked.pk and current.version != asked.version
    assert (current.status, current.attempts) == ("ready", 1)
    assert asked.status == "superseded" and not asked.file
    assert f"the current version ({current.version}) was rendered instead" in asked.error
    # The page waiting for the version asked for goes on to the PDF: the paid invoice, already made.
    status = client.get(reverse("orders:document-status", args=[asked.pk]), headers={"HX-Request": "true"})
    assert status["HX-Redirect"] == invoice_pdf(invoiced)
    response = client.get(invoice_pdf(invoiced))
    assert response.status_code == 200
    assert "Balance due 0.00 GBP" in words(pdf_text(response.content))


def test_a_pdf_that_cannot_be_made_shows_why_and_a_retry_button(
    client_as, invoiced, media, django_capture_on_commit_callbacks
):
    client = client_as(roles.ACCOUNTANT)
    url = invoice_pdf(invoiced)
    client.get(url)
    document = Document.objects.get()
    media.mkdir(parents=True)
    (media / "documents").write_text("in the way")  # the PDFs' folder cannot be made

    document_render_task.apply(args=[document.pk])  # the task as a worker runs it, retries included

    document.refresh_from_db()
    assert (document.status, document.attempts) == ("failed", 6)
    assert document.error.startswith("The PDF could not be stored") and "gave up after 6 attempts" in document.error
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(url)
    assert response.status_code == 200 and callbacks == []  # a failure is not retried by looking at it
    page = response.content.decode()
    retry_url = reverse("orders:document-retry", args=[document.pk])
    assert escape(document.error) in page
    assert f'<form method="post" action="{retry_url}">' in page and ">Retry</button>" in page
    assert "hx-trigger" not in page
    status = client.get(reverse("orders:document-status", args=[document.pk]), headers={"HX-Request": "true"})
    assert "HX-Redirect" not in status and ">Retry</button>" in status.content.decode()

    (media / "documents").unlink()
    with django_capture_on_commit_callbacks() as callbacks:
        retried = client.post(retry_url)

    assert retried.status_code == 302 and retried.url == url
    document.refresh_from_db()
    assert (document.status, document.error) == ("pending", "")
    assert enqueued(callbacks) == [("orders.tasks.document_render_task", (document.pk,))]
    assert "Invoice number INV-2026-000001" in words(pdf_text(pdf_get(client, url).content))


def test_issuing_an_invoice_asks_a_worker_for_its_pdf_once_committed(
    client_as, shop, django_capture_on_commit_callbacks
):
    placed = business_order(shop)

    with django_capture_on_commit_callbacks() as issued:
        invoice_issue(order_id=placed.pk, at=ISSUED_AT)
    assert not Document.objects.exists()  # not before the invoice is committed
    with django_capture_on_commit_callbacks() as callbacks:
        for callback in issued:
            callback()

    document = Document.objects.get()
    assert (document.kind, document.key, document.status) == ("invoice", placed.number, "pending")
    assert enqueued(callbacks) == [("orders.tasks.document_render_task", (document.pk,))]
    with django_capture_on_commit_callbacks() as again:
        invoice_issue(order_id=placed.pk)  # the invoice it has: nothing new to print
    assert again == []
    render_pending()
    response = client_as(roles.ACCOUNTANT).get(invoice_pdf(placed))
    assert response.status_code == 200  # ready before anyone asked
    assert response["Content-Type"] == "application/pdf"


def test_the_status_and_retry_of_a_document_ask_what_the_document_asks(client_as, invoiced, staff_user):
    client_as(roles.ACCOUNTANT).get(invoice_pdf(invoiced))
    document = Document.objects.get()
    status_url = reverse("orders:document-status", args=[document.pk])
    retry_url = reverse("orders:document-retry", args=[document.pk])
    # The Orders section and viewing orders, but not invoices.
    user = staff_user()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="backoffice", codename="access_orders"),
        Permission.objects.get(content_type__app_label="orders", codename="view_order"),
    )
    client = Client()
    client.force_login(user)

    assert client.get(invoice_pdf(invoiced)).status_code == 403
    assert client.get(status_url, headers={"HX-Request": "true"}).status_code == 403
    assert client.post(retry_url).status_code == 403
    buyer = Client()
    buyer.force_login(staff_user(roles.BUYER))
    assert buyer.get(status_url, headers={"HX-Request": "true"}).status_code == 403
    assert Client().get(status_url).status_code == 302  # to sign in


def test_the_version_follows_what_is_printed_but_not_the_time_it_is_printed(pick_list):
    pick_list = pick_list[0]
    first = source_get(kind="pick_list", key=pick_list.number.lower())
    again = source_get(kind="pick_list", key=pick_list.number)
    assert first.key == pick_list.number
    assert first.context["printed_at"] != again.context["printed_at"]
    assert document_version(first) == document_version(again)

    PickLine.objects.filter(pick_list=pick_list, sequence=2).update(picked_quantity=6)
    assert document_version(source_get(kind="pick_list", key=pick_list.number)) != document_version(first)
    # A model instance in a context could print what the version does not see: refused.
    with pytest.raises(TypeError, match="plain data only, not PickList"):
        document_version(Source("pick_list", pick_list.number, first.template, {"pick_list": pick_list}, "x.pdf"))


def test_a_request_whose_task_was_lost_is_enqueued_again_after_a_while(
    client_as, invoiced, django_capture_on_commit_callbacks
):
    client = client_as(roles.ACCOUNTANT)
    client.get(invoice_pdf(invoiced))
    document = Document.objects.get()
    status_url = reverse("orders:document-status", args=[document.pk])
    # The broker was away when it was enqueued: nothing happened for three minutes.
    Document.objects.filter(pk=document.pk).update(requested_at=timezone.now() - timedelta(minutes=3))

    # The waiting page goes back to the PDF's URL, which asks for it again, once.
    assert client.get(status_url, headers={"HX-Request": "true"})["HX-Redirect"] == invoice_pdf(invoiced)
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.get(invoice_pdf(invoiced)).status_code == 202
        assert client.get(invoice_pdf(invoiced)).status_code == 202
    assert enqueued(callbacks) == [("orders.tasks.document_render_task", (document.pk,))]
    document.refresh_from_db()
    assert document.status == "pending" and not document.is_stale
    assert "HX-Redirect" not in client.get(status_url, headers={"HX-Request": "true"})


def test_a_document_whose_renders_keep_being_cut_short_fails_and_retry_starts_afresh(client_as, invoiced):
    client = client_as(roles.ACCOUNTANT)
    client.get(invoice_pdf(invoiced))
    document = Document.objects.get()
    # Six workers were killed at the hard time limit in the middle of it: none could record anything.
    Document.objects.filter(pk=document.pk).update(attempts=MAX_ATTEMPTS)

    render_pending()

    document.refresh_from_db()
    assert document.status == "failed" and "Gave up after 6 attempts" in document.error
    page = client.get(invoice_pdf(invoiced))
    assert page.status_code == 200 and "Retry" in page.content.decode()
    client.post(reverse("orders:document-retry", args=[document.pk]))
    render_pending()
    assert pdf_get(client, invoice_pdf(invoiced)).status_code == 200
    document.refresh_from_db()
    assert (document.status, document.attempts) == ("ready", 1)


def test_a_version_superseded_before_it_was_made_is_made_when_its_content_comes_back(client_as, pick_list):
    pick_list = pick_list[0]
    client = client_as(roles.WAREHOUSE)
    url = reverse("orders:pick-list-pdf", args=[pick_list.number])
    client.get(url)
    asked = Document.objects.get()
    line = PickLine.objects.filter(pick_list=pick_list, sequence=2)
    line.update(picked_quantity=5, short_reason="Box of 6 had 5")
    render_pending()  # renders the list as it is now; the version asked for is superseded
    line.update(picked_quantity=None, short_reason="")  # the pick is undone: the list prints as first asked

    assert client.get(url).status_code == 202
    asked.refresh_from_db()
    assert (asked.status, asked.error) == ("pending", "")
    render_pending()
    response = client.get(url)
    assert response.status_code == 200
    assert "Box of 6 had 5" not in words(pdf_text(response.content))
    assert sorted(Document.objects.values_list("status", flat=True)) == ["ready", "ready"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_invoice_pdf_while_its_page_polls_for_it(shop, shared_media, client, staff_user):
    placed = business_order(shop)
    invoice_issue(order_id=placed.pk, at=ISSUED_AT)  # committed: its PDF is asked for, no worker runs yet
    client.force_login(staff_user(roles.ACCOUNTANT))
    assert client.get(invoice_pdf(placed)).status_code == 202

    process, _hostname = start_worker()
    try:
        response = pdf_poll(client, invoice_pdf(placed))
    finally:
        stop_worker(process)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = words(pdf_text(response.content))
    for expected in ("Invoice number INV-2026-000001", "Total 128.97 GBP", "Unit 4, Canal Wharf", "Leeds LS11 5PZ"):
        assert expected in text
    document = Document.objects.get()
    assert (document.status, document.attempts) == ("ready", 1)
    assert (shared_media / document.file.name).exists()
