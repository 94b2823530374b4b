"""What each document shows, read in a fixed handful of queries and shaped for its template.

Invoices print their snapshot (orders.services.invoicing) and only the payment state live; packing
slips, credit notes and pick lists print their rows as they are now.

A context holds plain data only (strings, numbers, Decimals, dates, lists, dicts and the dataclasses
below), never model instances: everything a template can print is in it, so a hash of the context
is the version of the document (orders.documents.sources), and a PDF kept for that version is what
rendering it now would give.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from backoffice.money import quantize
from crm.normalise import format_phone
from inventory.models import KitComponent
from orders.documents.barcodes import code128_svg
from orders.models import CreditNote, Invoice, Order, Payment, PickLine, PickList, ReturnLine, Shipment, ShipmentLine
from orders.services.invoicing import address_lines, seller_details

ZERO = Decimal("0.00")


@dataclass
class Party:
    """A seller, buyer or address block: a name, a company and the lines below them."""

    name: str
    company: str = ""
    address: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def _party_of(address: dict, fallback_name: str = "") -> Party:
    return Party(address.get("name") or fallback_name, address.get("company", ""), address_lines(address))


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _terms(days: int) -> str:
    return "Due on receipt" if not days else f"{days} days net"


# --- invoice ----------------------------------------------------------------------------------------


def order_ref(*, number: str) -> Order | None:
    """An order's id and number only, for an action that goes back to its page."""
    return Order.objects.only("id", "number").filter(number=number.strip().upper()).first()


def invoice_get(*, order_number: str) -> Invoice | None:
    """The invoice of an order, with its order and the order's payments, credit notes and shipments."""
    return (
        Invoice.objects.select_related("order", "order__customer")
        .prefetch_related(
            Prefetch("order__payments", queryset=Payment.objects.order_by("created_at", "id")),
            Prefetch("order__credit_notes", queryset=CreditNote.objects.order_by("id")),
            Prefetch("order__shipments", queryset=Shipment.objects.select_related("warehouse").order_by("position")),
        )
        .filter(order__number=order_number.strip().upper())
        .first()
    )


@dataclass
class PaymentState:
    label: str
    received: Decimal
    refunded: Decimal
    credited: Decimal
    balance: Decimal
    is_settled: bool


def payment_state(order: Order, total: Decimal, due_date: date) -> PaymentState:
    """Where the bill stands now: money received (by us or collected by the carrier), refunded and
    credited, and what is still to pay (paid, part paid, unpaid, or overdue after the due date). A
    refund gives back money for goods that came back, so it lowers the bill and what was paid alike:
    the balance leaves it out."""
    received = refunded = ZERO
    for payment in order.payments.all():
        if payment.kind in (Payment.Kind.CAPTURE, Payment.Kind.COD_COLLECTED):
            received += payment.amount
        elif payment.kind == Payment.Kind.REFUND:
            refunded += payment.amount
    credited = sum((note.amount for note in order.credit_notes.all()), ZERO)
    balance = max(total - received - credited, ZERO)
    if not balance:
        label = "Paid"
    elif timezone.localdate() > due_date:
        label = "Overdue"
    else:
        label = "Part paid" if received or credited else "Unpaid"
    return PaymentState(
        label=label,
        received=received,
        refunded=refunded,
        credited=credited,
        balance=balance,
        is_settled=balance == ZERO,
    )


def invoice_document(invoice: Invoice) -> dict:
    """The template context of an invoice: its snapshot, with Decimal amounts, and the payment state."""
    order = invoice.order
    seller = invoice.seller
    buyer = invoice.buyer
    lines = [
        {
            **line,
            **{
                key: _decimal(line[key])
                for key in ("unit_price", "base_amount", "discount_amount", "total_amount", "tax_rate", "tax_amount")
            },
            # The line's own promotions; its share of the order discounts is listed once, below the lines.
            "promotions": [
                {**d, "amount": _decimal(d["amount"])}
                for d in line.get("discounts", [])
                if d.get("kind") != "order_share"
            ],
        }
        for line in invoice.lines
    ]
    discounts = [{**d, "amount": _decimal(d["amount"])} for d in invoice.discounts]
    shipping_discount = sum((d["amount"] for d in discounts if d.get("scope") == "shipping"), ZERO)
    breakdown = [{key: _decimal(value) for key, value in row.items()} for row in invoice.tax_breakdown]
    net_total = sum((row["net"] for row in breakdown), ZERO)
    deliveries = [
        Party(s.ship_to.get("name", ""), s.ship_to.get("company", ""), address_lines(s.ship_to))
        for s in order.shipments.all()
        if s.ship_to and not s.is_pickup
    ]
    billed_to = Party(buyer.get("name", ""), buyer.get("company", ""), buyer.get("address", []))
    return {
        "title": f"Invoice {invoice.number}",
        "document_kind": "Invoice",
        "invoice": {
            "number": invoice.number,
            "buyer": buyer,
            "due_date": invoice.due_date,
            "payment_terms_days": invoice.payment_terms_days,
            "subtotal_amount": invoice.subtotal_amount,
            "discount_amount": invoice.discount_amount,
            "tax_amount": invoice.tax_amount,
            "total_amount": invoice.total_amount,
        },
        "order": {
            "number": order.number,
            "placed_at": order.placed_at,
            "external_id": order.external_id,
            "payment_method_label": order.get_payment_method_display(),
        },
        "currency": order.currency,
        "prices_include_tax": order.prices_include_tax,
        "seller": seller,
        "buyer": billed_to,
        "buyer_contact": [part for part in (buyer.get("email", ""), buyer.get("phone", "")) if part],
        # A delivery address differing from the billing one is printed beside it.
        "deliveries": [party for party in deliveries if party.address != billed_to.address][:2],
        "issued_on": timezone.localdate(invoice.issued_at),
        "terms": _terms(invoice.payment_terms_days),
        "lines": lines,
        "discounts": discounts,
        "has_discounts": bool(invoice.discount_amount),
        "shipping_before_discount": invoice.shipping_amount + shipping_discount,
        "net_total": net_total,
        "tax_breakdown": breakdown,
        "payment": payment_state(order, invoice.total_amount, invoice.due_date),
        "footer": seller.get("footer", ""),
        "barcode": code128_svg(invoice.number),
    }


# --- packing slip -----------------------------------------------------------------------------------


def shipment_for_slip(*, order_number: str, position: int) -> Shipment | None:
    """One shipment with its order, warehouse and lines (their order lines)."""
    return (
        Shipment.objects.select_related("order", "warehouse")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ShipmentLine.objects.select_related("order_line").order_by("order_line__position", "id"),
            )
        )
        .filter(order__number=order_number.strip().upper(), position=position)
        .first()
    )


def packing_slip_document(shipment: Shipment, *, return_instructions: str, seller: dict | None = None) -> dict:
    """The template context of a packing slip: addresses, lines and quantities, never prices."""
    order = shipment.order
    seller = seller or seller_details()
    kit_ids = [line.order_line.product_id for line in shipment.lines.all()]
    components: dict[int, list[KitComponent]] = {}
    for component in KitComponent.objects.filter(kit_id__in=kit_ids).select_related("component").order_by("id"):
        components.setdefault(component.kit_id, []).append(component)
    lines = [
        {
            "sku": line.order_line.sku,
            "name": line.order_line.name,
            "quantity": line.quantity,
            "components": [
                {"sku": c.component.sku, "name": c.component.name, "quantity": c.quantity * line.quantity}
                for c in components.get(line.order_line.product_id, [])
            ],
        }
        for line in shipment.lines.all()
    ]
    warehouse = shipment.warehouse
    ship_from = Party(
        seller.get("name", ""),
        "",
        address_lines(
            {
                "line1": warehouse.line1,
                "line2": warehouse.line2,
                "city": warehouse.city,
                "postal_code": warehouse.postal_code,
                "region": warehouse.region,
                "country": warehouse.country,
            }
        ),
    )
    if shipment.is_pickup:
        ship_to = Party(order.customer_name, "", [f"Collect from {warehouse.name}", *ship_from.address])
    else:
        ship_to = _party_of(shipment.ship_to, order.customer_name)
        phone = shipment.ship_to.get("phone", "")
        if phone:
            ship_to.extra.append(format_phone(phone))
    return {
        "title": f"Packing slip {order.number}/{shipment.position}",
        "document_kind": "Packing slip",
        "order": {
            "number": order.number,
            "placed_at": order.placed_at,
            "external_id": order.external_id,
            "notes_customer": order.notes_customer,
        },
        "shipment": {
            "position": shipment.position,
            "is_pickup": shipment.is_pickup,
            "shipping_method": shipment.shipping_method,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
        },
        "shipment_count": order.shipments.count(),
        "seller": seller,
        "ship_to": ship_to,
        "ship_from": ship_from,
        "lines": lines,
        "units": sum(line.quantity for line in shipment.lines.all()),
        "return_instructions": [part.strip() for part in return_instructions.splitlines() if part.strip()],
        "barcode": code128_svg(order.number),
    }


# --- credit note ------------------------------------------------------------------------------------


def credit_note_get(*, rma_number: str) -> CreditNote | None:
    """The credit note of a return, with its order (and the order's invoice, if any) and return lines."""
    return (
        CreditNote.objects.select_related("order", "rma", "rma__warehouse")
        .prefetch_related(
            Prefetch(
                "rma__lines",
                queryset=ReturnLine.objects.select_related("shipment_line__order_line").order_by("id"),
            )
        )
        .filter(rma__number=rma_number.strip().upper())
        .first()
    )


def credit_note_document(note: CreditNote) -> dict:
    """The template context of a credit note: what came back, its value, the tax in it by rate and
    the amount credited (which may differ from the value: a restocking fee, or shipping given back)."""
    order = note.order
    invoice = Invoice.objects.filter(order=order).first()
    lines = [
        {
            "sku": line.shipment_line.order_line.sku,
            "name": line.shipment_line.order_line.name,
            "quantity": line.received_quantity,
            "condition": line.get_condition_display(),
            "reason": line.get_reason_display(),
            "tax_rate": line.shipment_line.order_line.tax_rate,
            "amount": line.value_amount,
        }
        for line in (note.rma.lines.all() if note.rma else [])
        if line.received_quantity
    ]
    value = sum((line["amount"] for line in lines), ZERO)
    adjustment = note.amount - value if lines else ZERO
    if invoice is not None:
        seller = invoice.seller
        buyer = Party(invoice.buyer.get("name", ""), invoice.buyer.get("company", ""), invoice.buyer.get("address", []))
    else:
        seller = seller_details()
        buyer = _party_of(order.billing_address, order.customer_name)
    return {
        "title": f"Credit note {note.number}",
        "document_kind": "Credit note",
        "note": {
            "number": note.number,
            "reason": note.reason,
            "amount": note.amount,
            "rma": {"number": note.rma.number} if note.rma else None,
        },
        "order": {"number": order.number, "customer_id": order.customer_id, "payment_method": order.payment_method},
        "invoice": {"number": invoice.number} if invoice else None,
        "currency": order.currency,
        "seller": seller,
        "buyer": buyer,
        "issued_on": timezone.localdate(note.created_at),
        "lines": lines,
        "value": value,
        "adjustment": adjustment,
        "adjustment_size": abs(adjustment),
        "tax_breakdown": credit_tax_breakdown(lines, note.amount),
        "footer": seller.get("footer", ""),
        "barcode": code128_svg(note.number),
    }


def credit_tax_breakdown(lines: list[dict], amount: Decimal) -> list[dict]:
    """The credited amount (tax included) split by tax rate in proportion to the returned goods'
    values, the last rate taking what rounding leaves so the rows add up to the amount; then the tax
    in each row. Without lines (a credit not tied to goods), one row at 0%."""
    gross: dict[Decimal, Decimal] = {}
    for line in lines:
        gross[line["tax_rate"]] = gross.get(line["tax_rate"], ZERO) + line["amount"]
    value = sum(gross.values(), ZERO)
    if not value:
        return [{"rate": Decimal("0"), "net": amount, "tax": ZERO, "gross": amount}]
    rows, left = [], amount
    for index, rate in enumerate(sorted(gross)):
        share = left if index == len(gross) - 1 else quantize(amount * gross[rate] / value)
        left -= share
        tax = quantize(share * rate / (1 + rate)) if rate else ZERO
        rows.append({"rate": rate, "net": share - tax, "tax": tax, "gross": share})
    return rows


# --- pick list --------------------------------------------------------------------------------------


def pick_list_get(*, number: str) -> PickList | None:
    """A pick list with its warehouse, lines (product, bin) and shipments (their orders and lines)."""
    return (
        PickList.objects.select_related("warehouse", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=PickLine.objects.select_related("product", "bin").order_by("sequence", "id")),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("order")
                .prefetch_related(
                    Prefetch(
                        "lines",
                        queryset=ShipmentLine.objects.select_related("order_line").order_by("order_line__position"),
                    )
                )
                .order_by("order__number", "position"),
            ),
        )
        .filter(number=number.strip().upper())
        .first()
    )


def pick_list_document(pick_list: PickList) -> dict:
    """The template context of a pick list: the stops in walking order, then what goes to which
    shipment."""
    lines = [
        {
            "sequence": line.sequence,
            "bin": {"code": line.bin.code} if line.bin else None,
            "product": {"name": line.product.name, "sku": line.product.sku, "barcode": line.product.barcode},
            "quantity": line.quantity,
            "picked_quantity": line.picked_quantity,
            "short_reason": line.short_reason,
        }
        for line in pick_list.lines.all()
    ]
    created_by = pick_list.created_by
    shipments = [
        {
            "order_number": shipment.order.number,
            "position": shipment.position,
            "ship_to": shipment.ship_to.get("name", "") or shipment.order.customer_name,
            "company": shipment.ship_to.get("company", ""),
            "is_pickup": shipment.is_pickup,
            "priority": shipment.get_priority_display(),
            "lines": [(line.order_line.sku, line.quantity) for line in shipment.lines.all()],
            "units": sum(line.quantity for line in shipment.lines.all()),
        }
        for shipment in pick_list.shipments.all()
    ]
    return {
        "title": f"Pick list {pick_list.number}",
        "document_kind": "Pick list",
        "pick_list": {
            "number": pick_list.number,
            "warehouse": {"name": pick_list.warehouse.name, "code": pick_list.warehouse.code},
            "created_at": pick_list.created_at,
            "created_by": (created_by.get_full_name() or created_by.get_username()) if created_by else "",
            "status_label": pick_list.get_status_display(),
            "completed_at": pick_list.completed_at,
        },
        "lines": lines,
        "units": sum(line["quantity"] for line in lines),
        "skus": len({line.product_id for line in pick_list.lines.all()}),
        "shipments": shipments,
        "barcode": code128_svg(pick_list.number),
        # Left out of the version (orders.documents.sources.UNVERSIONED): a kept PDF shows when it was made.
        "printed_at": timezone.localtime(),
    }
