"""The printed documents: invoice, packing slip, credit note and pick list as PDF (text read back with
pdftotext) and as web pages, who may open them, and the links and actions on the order and return
pages."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from barcode import Code128
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from orders.documents.barcodes import QUIET_ZONE, code128_svg
from orders.models import Invoice, PickLine, PickList
from orders.services.invoicing import invoice_issue
from orders.services.lifecycle import order_payment_record
from orders.services.returns import ReturnReceipt, ReturnRequest, return_authorise, return_receive, return_settle
from orders.services.shipping import shipment_ship
from tests.inventory.factories import BinFactory
from tests.orders.documents_support import business_order, pdf_text, stationery_shop

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
    response = client_as(roles.ACCOUNTANT).get(reverse("orders:invoice-pdf", args=[invoiced.number]))

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
        pdf_text(client_as(roles.ACCOUNTANT).get(reverse("orders:invoice-pdf", args=[invoiced.number])).content)
    )
    assert f"Paid {MINUS}100.00" in text
    assert "Balance due 28.97 GBP" in text

    order_payment_record(order_id=invoiced.pk, amount=D("28.97"), reference="BACS 7790")
    text = words(
        pdf_text(client_as(roles.ACCOUNTANT).get(reverse("orders:invoice-pdf", args=[invoiced.number])).content)
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

    response = client_as(roles.WAREHOUSE).get(reverse("orders:packing-slip-pdf", args=[placed.number, 1]))

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

    response = client_as(roles.ACCOUNTANT).get(reverse("orders:credit-note-pdf", args=[rma.number]))

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
    response = client_as(roles.WAREHOUSE).get(reverse("orders:pick-list-pdf", args=[pick_list.number]))

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
