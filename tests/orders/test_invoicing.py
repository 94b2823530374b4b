"""Invoices: issued once per order (on first shipping or on demand), a snapshot of the order with a
tax breakdown that adds up, numbered gapless and in sequence per year, even under concurrency."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from orders.exceptions import OrderError
from orders.models import Invoice, OrderEvent
from orders.services.editing import order_edit
from orders.services.invoicing import invoice_issue
from orders.services.lifecycle import order_cancel
from orders.services.placement import LineInput, ShipmentInput
from orders.services.shipping import shipment_ship
from orders.states import OrderStatus
from pricing.models import PricingPolicy
from tests.concurrency import run_together
from tests.orders.documents_support import BILLING, DELIVERY, business_order, stationery_shop
from tests.orders.factories import order as order_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return stationery_shop()


def numbers():
    return sorted(Invoice.objects.values_list("number", flat=True))


def test_issuing_snapshots_the_order_with_seller_buyer_lines_discounts_and_totals(shop, settings, staff_user):
    settings.COMPANY_NAME = "Inkwell & Co. Ltd"
    settings.COMPANY_ADDRESS = "14 Cloth Hall Street\nLeeds LS1 2HD"
    settings.COMPANY_VAT_NUMBER = "GB123456789"
    settings.COMPANY_BANK_DETAILS = "Example Bank\nSort code 12-34-56"
    settings.INVOICE_FOOTER = "Thank you."
    accountant = staff_user("Accountant")
    placed = business_order(shop)
    at = datetime(2026, 3, 14, 10, 30, tzinfo=UTC)

    invoice = invoice_issue(order_id=placed.pk, actor=accountant, at=at)

    assert invoice.number == "INV-2026-000001"
    assert (invoice.issued_at, invoice.payment_terms_days, invoice.due_date) == (at, 30, date(2026, 4, 13))
    assert invoice.seller == {
        "name": "Inkwell & Co. Ltd",
        "address": ["14 Cloth Hall Street", "Leeds LS1 2HD"],
        "vat_number": "GB123456789",
        "registration": "",
        "email": "",
        "phone": "",
        "bank_details": ["Example Bank", "Sort code 12-34-56"],
        "footer": "Thank you.",
    }
    assert invoice.buyer == {
        "customer_id": shop["customer"].pk,
        "name": "Priya Shah",
        "company": "Shah & Daughters Ltd",
        "address": ["Unit 4, Canal Wharf", "Water Lane", "Leeds LS11 5PZ", "United Kingdom"],
        "email": "accounts@shah-daughters.example",
        "phone": "",
    }
    assert [(line["sku"], line["quantity"]) for line in invoice.lines] == [
        ("PEN-BLK", 12),
        ("NOTE-A5", 3),
        ("BOOK-TYPE", 1),
        ("SEAT-CUSH", 1),
        ("KIT-DESK", 2),
    ]
    notebook = invoice.lines[1]
    assert (notebook["unit_price"], notebook["base_amount"], notebook["discount_amount"]) == ("8.9500", "26.85", "6.31")
    assert (notebook["total_amount"], notebook["tax_rate"], notebook["tax_amount"]) == ("20.54", "0.2000", "3.42")
    assert notebook["discounts"][0]["description"].startswith("Notebook week")
    assert [(d["scope"], d["coupon_code"], d["amount"]) for d in invoice.discounts] == [("order", "WELCOME10", "13.67")]
    assert (invoice.subtotal_amount, invoice.discount_amount, invoice.shipping_amount) == (
        D("140.72"),
        D("17.70"),
        D("5.95"),
    )
    assert (invoice.tax_amount, invoice.total_amount) == (D("14.85"), D("128.97"))
    assert invoice.tax_breakdown == [
        {"rate": "0.0000", "net": "17.99", "tax": "0.00", "gross": "17.99"},
        {"rate": "0.0500", "net": "29.14", "tax": "1.46", "gross": "30.60"},
        {"rate": "0.2000", "net": "66.99", "tax": "13.39", "gross": "80.38"},
    ]
    assert invoice.created_by == accountant
    event = OrderEvent.objects.filter(order=placed, kind="invoice").get()
    assert event.message == "Invoice INV-2026-000001 issued for 128.97 GBP, due 13 Apr 2026"
    assert event.actor == accountant


def test_an_issued_invoice_keeps_its_seller_and_buyer_when_they_change(shop, settings):
    placed = business_order(shop)
    invoice = invoice_issue(order_id=placed.pk)
    settings.COMPANY_NAME = "Renamed Ltd"
    shop["customer"].company = "New Name Ltd"
    shop["customer"].save()

    again = invoice_issue(order_id=placed.pk)

    assert again.pk == invoice.pk
    again.refresh_from_db()
    assert again.seller["name"] == "Backoffice Demo Ltd"
    assert again.buyer["company"] == "Shah & Daughters Ltd"


def test_an_order_has_one_invoice_and_asking_again_uses_no_number(shop):
    first, second = business_order(shop), business_order(shop)

    invoice = invoice_issue(order_id=first.pk)
    assert invoice_issue(order_id=first.pk).pk == invoice.pk
    year = timezone.localdate().year
    assert invoice.number == f"INV-{year}-000001"
    assert invoice_issue(order_id=second.pk).number == f"INV-{year}-000002"
    assert Invoice.objects.count() == 2


def test_draft_and_cancelled_orders_are_refused_and_use_no_number(shop):
    cancelled, draft, good = business_order(shop), business_order(shop), business_order(shop)
    order_cancel(order_id=cancelled.pk, reason="Customer changed their mind")
    # No service makes drafts yet (every entry path places at once): set one up directly.
    type(draft).objects.filter(pk=draft.pk).update(status=OrderStatus.DRAFT)

    with pytest.raises(OrderError, match="is cancelled; it cannot be invoiced"):
        invoice_issue(order_id=cancelled.pk)
    with pytest.raises(OrderError, match="is draft; it cannot be invoiced"):
        invoice_issue(order_id=draft.pk)

    assert invoice_issue(order_id=good.pk).number.endswith("-000001")
    assert not OrderEvent.objects.filter(order__in=[cancelled, draft], kind="invoice").exists()


def test_without_payment_terms_the_invoice_is_due_on_the_day_it_is_issued(shop):
    shop["customer"].payment_terms_days = 0
    shop["customer"].save()
    walk_in = business_order(shop, customer_id=None, payment_method="prepaid", paid_reference="card 4242")
    on_account = business_order(shop)
    at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    for placed in (walk_in, on_account):
        invoice = invoice_issue(order_id=placed.pk, at=at)
        assert (invoice.payment_terms_days, invoice.due_date) == (0, date(2026, 6, 1))
    assert Invoice.objects.get(order=walk_in).buyer["customer_id"] is None


def test_numbers_start_again_each_year(shop):
    orders = [business_order(shop) for _ in range(3)]
    last_day, new_year = datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2027, 1, 1, 0, 1, tzinfo=UTC)
    years = [last_day, new_year, new_year]

    issued = [invoice_issue(order_id=o.pk, at=at).number for o, at in zip(orders, years, strict=True)]

    assert issued == ["INV-2026-000001", "INV-2027-000001", "INV-2027-000002"]


def test_the_tax_breakdown_adds_up_when_prices_exclude_tax_and_shipping_is_untaxed(shop):
    policy = PricingPolicy.current()
    policy.prices_include_tax = False
    policy.shipping_tax_class = None
    policy.save()
    placed = business_order(shop)

    invoice = invoice_issue(order_id=placed.pk)

    rows = {row["rate"]: row for row in invoice.tax_breakdown}
    book = next(line for line in invoice.lines if line["sku"] == "BOOK-TYPE")
    # Untaxed shipping sits in the 0% row beside the zero-rated book.
    assert D(rows["0.0000"]["net"]) == D(book["total_amount"]) + D("5.95")
    assert rows["0.0000"]["tax"] == "0.00"
    assert sum(D(row["net"]) for row in invoice.tax_breakdown) + invoice.tax_amount == invoice.total_amount
    assert sum(D(row["gross"]) for row in invoice.tax_breakdown) == invoice.total_amount
    assert sum(D(row["tax"]) for row in invoice.tax_breakdown) == invoice.tax_amount
    for row in invoice.tax_breakdown:
        assert D(row["net"]) + D(row["tax"]) == D(row["gross"])


def test_the_invoice_is_issued_when_the_order_first_ships_in_the_same_transaction(shop, staff_user):
    clerk = staff_user("Warehouse")
    split = business_order(
        shop,
        lines=(LineInput("PEN-BLK", 2), LineInput("NOTE-A5", 1)),
        shipments=(
            ShipmentInput(ship_to=DELIVERY, lines=((0, 2),), shipping_method="Standard", shipping_price=D("5.95")),
            ShipmentInput(ship_to=BILLING, lines=((1, 1),)),
        ),
    )
    first, second = split.shipments.order_by("position")
    assert not Invoice.objects.filter(order=split).exists()

    shipment_ship(shipment_id=first.pk, carrier="DPD", tracking_number="1550001", actor=clerk)

    invoice = Invoice.objects.get(order=split)
    assert invoice.created_by == clerk
    assert invoice.total_amount == split.total_amount
    assert [line["sku"] for line in invoice.lines] == ["PEN-BLK", "NOTE-A5"]

    shipment_ship(shipment_id=second.pk, carrier="DPD", tracking_number="1550002")
    assert Invoice.objects.filter(order=split).count() == 1
    assert OrderEvent.objects.filter(order=split, kind="invoice").count() == 1


def test_a_failing_shipment_issues_no_invoice_and_takes_no_number(shop):
    held = business_order(shop, payment_method="prepaid")  # waits for its payment: may not ship
    with pytest.raises(OrderError, match="cannot ship"):
        shipment_ship(shipment_id=held.shipments.get().pk, carrier="DPD")
    assert not Invoice.objects.exists()
    assert invoice_issue(order_id=business_order(shop).pk).number.endswith("-000001")


def test_an_invoiced_order_can_no_longer_be_edited(shop):
    placed = business_order(shop)
    assert placed.status == OrderStatus.READY
    invoice = invoice_issue(order_id=placed.pk)

    with pytest.raises(OrderError, match=f"is invoiced \\({invoice.number}\\) and can no longer be changed"):
        order_edit(order_id=placed.pk, data=order_input(("PEN-BLK", 1)))

    placed.refresh_from_db()
    assert placed.lines.count() == 5


# --- concurrency --------------------------------------------------------------------------------


class Abandoned(Exception):
    """Raised after taking a number, so the issuing transaction rolls back."""


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_consecutive_numbers_with_no_gap_and_no_duplicate():
    shop = stationery_shop()
    orders = [business_order(shop, lines=(LineInput("PEN-BLK", 1),)) for _ in range(10)]
    order_cancel(order_id=orders[7].pk, reason="Test")
    at = datetime.now(UTC)

    def work(index):
        order_id = orders[index].pk
        if index >= 8:
            # Issued, then abandoned: the rollback must give the number back.
            with transaction.atomic():
                invoice_issue(order_id=order_id, at=at)
                raise Abandoned
        return invoice_issue(order_id=order_id, at=at).number

    # Every order is asked for by two threads at once: twenty threads, one invoice per order.
    results = run_together(lambda i: work(i % 10), 20)

    by_order = [results[i::10] for i in range(10)]
    assert all(isinstance(r, str) for pair in by_order[:7] for r in pair)
    assert all(pair[0] == pair[1] for pair in by_order[:7])
    assert all(isinstance(r, OrderError) for r in by_order[7])
    assert all(isinstance(r, Abandoned) for pair in by_order[8:] for r in pair)
    year = at.year
    assert numbers() == [f"INV-{year}-{n:06d}" for n in range(1, 8)]
    assert sorted(pair[0] for pair in by_order[:7]) == numbers()
    # The next invoice takes the next number: the abandoned ones left no gap.
    extra = business_order(shop, lines=(LineInput("PEN-BLK", 1),))
    assert invoice_issue(order_id=extra.pk, at=at + timedelta(seconds=1)).number == f"INV-{year}-000008"
