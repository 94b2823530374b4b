"""Invoices: the bill for an order, issued when it first ships (orders.services.shipping) or on demand.

An invoice is a snapshot: seller, buyer, lines, discounts, tax breakdown and totals are copied from
the order when it is issued and never change afterwards (an invoiced order can no longer be edited).
Its number is gapless and sequential per year (`INV-2026-000001`): the number sequence row stays
locked until the issuing transaction ends, so a rolled-back issue gives its number to the next one.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.numbering import format_number, next_number
from crm.countries import COUNTRIES
from orders.exceptions import OrderError
from orders.models import Document, Invoice, Order
from orders.services.lifecycle import _event, _locked
from orders.states import OrderStatus

SEQUENCE = "invoice"
PREFIX = "INV"
# An order in these states has nothing to bill (yet, or any more).
NOT_INVOICEABLE = {OrderStatus.DRAFT, OrderStatus.CANCELLED}
ZERO = Decimal("0.00")


@transaction.atomic
def invoice_issue(*, order_id: int, actor=None, at: datetime | None = None) -> Invoice:
    """Issue the order's invoice, or return the one it already has (an order has one invoice).

    Raises OrderError for a draft or cancelled order. Locks the order, then the invoice number
    sequence (taken last, so the sequence row is held as briefly as possible). Once committed, a
    worker is asked for the new invoice's PDF, so that it is usually ready before anyone opens it.
    """
    order = _locked(order_id)
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if order.status in NOT_INVOICEABLE:
        raise OrderError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot be invoiced.")
    at = at or timezone.now()
    issued_on = timezone.localdate(at)
    terms = order.customer.payment_terms_days if order.customer_id else 0
    lines = [_line(line) for line in order.lines.order_by("position")]
    invoice = Invoice(
        order=order,
        issued_at=at,
        due_date=due_date(issued_on, terms),
        payment_terms_days=terms,
        seller=seller_details(),
        buyer=_buyer(order),
        lines=lines,
        discounts=_discounts(order),
        tax_breakdown=tax_breakdown(order, lines),
        subtotal_amount=order.subtotal_amount,
        discount_amount=order.discount_amount,
        shipping_amount=order.shipping_amount,
        tax_amount=order.tax_amount,
        total_amount=order.total_amount,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    invoice.number = format_number(PREFIX, issued_on.year, next_number(sequence=SEQUENCE, year=issued_on.year))
    invoice.save()
    due = f"{invoice.due_date.day} {invoice.due_date:%b %Y}"
    _event(
        order, "invoice", f"Invoice {invoice.number} issued for {order.total_amount} {order.currency}, due {due}", actor
    )
    # robust: the PDF is only made ahead of time; a failure to ask for it must not fail the issue.
    transaction.on_commit(partial(_pdf_request, order.number), robust=True)
    return invoice


def _pdf_request(order_number: str) -> None:
    from orders.services.documents import document_request  # it reads invoices through this module

    document_request(kind=Document.Kind.INVOICE, key=order_number)


def due_date(issued_on: date, terms_days: int) -> date:
    """The day payment is due: the issue date plus the customer's terms (0: due on receipt)."""
    return issued_on + timedelta(days=terms_days)


def seller_details() -> dict:
    """The seller as configured now (settings COMPANY_*): what a new invoice or credit note prints."""
    return {
        "name": settings.COMPANY_NAME,
        "address": _lines_of(settings.COMPANY_ADDRESS),
        "vat_number": settings.COMPANY_VAT_NUMBER,
        "registration": settings.COMPANY_REGISTRATION,
        "email": settings.COMPANY_EMAIL,
        "phone": settings.COMPANY_PHONE,
        "bank_details": _lines_of(settings.COMPANY_BANK_DETAILS),
        "footer": settings.INVOICE_FOOTER.strip(),
    }


def _lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _buyer(order: Order) -> dict:
    """Who is billed: the order's billing address (else its first delivery address), the customer's
    name, company and number, and how to reach them."""
    address = order.billing_address or next(
        (shipment.ship_to for shipment in order.shipments.order_by("position") if shipment.ship_to), {}
    )
    customer = order.customer
    return {
        "customer_id": order.customer_id,
        "name": address.get("name") or order.customer_name,
        "company": address.get("company") or (customer.company if customer else ""),
        "address": address_lines(address),
        "email": order.email,
        "phone": order.phone,
    }


def address_lines(address: dict) -> list[str]:
    """An address's lines below the name and company, as printed: street, town and postcode, region,
    country."""
    town = " ".join(part for part in (address.get("city", ""), address.get("postal_code", "")) if part)
    country = address.get("country", "")
    parts = (address.get("line1"), address.get("line2"), town, address.get("region"), COUNTRIES.get(country, country))
    return [part.strip() for part in parts if part and part.strip()]


def _line(line) -> dict:
    return {
        "position": line.position,
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
        "base_amount": str(line.base_amount),
        "discount_amount": str(line.discount_amount),
        "total_amount": str(line.total_amount),
        "tax_rate": str(line.tax_rate),
        "tax_amount": str(line.tax_amount),
        # What the discount is made of: the line's own promotions and its share of the order's.
        "discounts": [
            {
                "kind": adjustment.get("kind", ""),
                "description": adjustment.get("description", ""),
                "amount": str(adjustment.get("amount", "0")),
            }
            for adjustment in line.adjustments
        ],
    }


def _discounts(order: Order) -> list[dict]:
    """The order-level discounts (spread over the lines already) and the shipping discount."""
    pricing = order.pricing or {}
    discounts = [
        {
            "scope": "order",
            "description": adjustment.get("description", ""),
            "coupon_code": adjustment.get("coupon_code", ""),
            "amount": str(adjustment.get("amount", "0")),
        }
        for adjustment in pricing.get("order_adjustments", [])
    ]
    shipping = pricing.get("shipping_adjustment")
    if shipping:
        discounts.append(
            {
                "scope": "shipping",
                "description": shipping.get("description", ""),
                "coupon_code": shipping.get("coupon_code", ""),
                "amount": str(shipping.get("amount", "0")),
            }
        )
    return discounts


def tax_breakdown(order: Order, lines: list[dict]) -> list[dict]:
    """Net, tax and gross per tax rate, adding up to the order's total to the cent.

    Taken from the pricing engine's breakdown (which includes taxed shipping); shipping at a zero rate
    is not in it and is added at 0%. Orders priced before the breakdown was stored get it from their
    lines and shipping."""
    rows: dict[Decimal, list[Decimal]] = {}
    for rate, base, tax in (order.pricing or {}).get("tax_breakdown", []):
        rows[Decimal(rate)] = [Decimal(base), Decimal(tax)]
    if not rows:
        for line in lines:
            row = rows.setdefault(Decimal(line["tax_rate"]), [ZERO, ZERO])
            row[0] += Decimal(line["total_amount"])
            row[1] += Decimal(line["tax_amount"])
    lines_total = sum((Decimal(line["total_amount"]) for line in lines), ZERO)
    uncovered = lines_total + order.shipping_amount - sum((base for base, _ in rows.values()), ZERO)
    if uncovered:
        # Shipping the breakdown does not cover: untaxed (a zero rate), or taxed (older orders).
        tax = order.tax_amount - sum((tax for _, tax in rows.values()), ZERO)
        row = rows.setdefault(_shipping_rate(uncovered, tax, order.prices_include_tax), [ZERO, ZERO])
        row[0] += uncovered
        row[1] += tax
    result = []
    for rate in sorted(rows):
        base, tax = rows[rate]
        net = base - tax if order.prices_include_tax else base
        result.append({"rate": str(rate), "net": str(net), "tax": str(tax), "gross": str(net + tax)})
    return result


def _shipping_rate(shipping: Decimal, tax: Decimal, included: bool) -> Decimal:
    """The rate shipping was taxed at, from its amount and tax (to four places, as rates are kept)."""
    if not tax or not shipping:
        return Decimal("0.0000")
    net = shipping - tax if included else shipping
    return (tax / net).quantize(Decimal("0.0001"))
