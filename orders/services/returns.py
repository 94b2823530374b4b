"""Returns (RMA): authorise units of shipped shipments to come back, receive them into stock or
quarantine through `inventory`, then refund the money or credit the customer's account.

Each step is one transaction that locks the order first and writes the timeline; the order's status
follows the returned units (partially returned, returned) and its payment status follows the refunds
and credit notes.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from backoffice.money import quantize
from backoffice.numbering import format_number, next_number
from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Bin
from inventory.services import StockLine
from orders.exceptions import InvalidOrder, OrderError
from orders.models import CreditNote, Order, Payment, ReturnAuthorisation, ReturnLine, ShipmentLine
from orders.selectors import returnable_quantities
from orders.services.lifecycle import _event, _locked, locked_with_order, payment_status_update
from orders.services.shipping import order_status_follow
from orders.states import RETURNABLE, ReturnCondition, ReturnReason, ReturnStatus, Settlement

SOURCE = "orders.return"


@dataclass(frozen=True)
class ReturnRequest:
    shipment_line_id: int
    quantity: int
    reason: str


@dataclass(frozen=True)
class ReturnReceipt:
    return_line_id: int
    quantity: int
    condition: str = ReturnCondition.SELLABLE
    # Blank: the warehouse's first bin of the right kind (a quarantine bin for damaged units).
    bin_id: int | None = None


@transaction.atomic
def return_authorise(*, order_id: int, lines: list[ReturnRequest], note: str = "", actor=None) -> ReturnAuthorisation:
    """Authorise the customer to send units back. Raises InvalidOrder naming each wrong line."""
    order = _locked(order_id)
    if order.status not in RETURNABLE:
        raise OrderError(
            f"Order {order.number} is {order.get_status_display().lower()}: nothing has shipped to return."
        )
    open_ = returnable_quantities(order)
    errors: dict[str, str] = {}
    wanted = [line for line in lines if line.quantity]
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        if line.shipment_line_id not in open_:
            errors[path] = "Not a line of a shipped shipment of this order."
        elif not isinstance(line.quantity, int) or line.quantity < 0:
            errors[f"{path}.quantity"] = "Enter a whole number of units, zero or more."
        elif line.quantity > open_[line.shipment_line_id]:
            errors[f"{path}.quantity"] = f"Only {open_[line.shipment_line_id]} may still be returned."
        elif line.quantity and line.reason not in ReturnReason.values:
            errors[f"{path}.reason"] = "Choose why the units come back."
    if len({line.shipment_line_id for line in wanted}) != len(wanted):
        errors["lines"] = "Each shipped line may appear once."
    if not wanted and not errors:
        errors["lines"] = "Choose at least one unit to return."
    if errors:
        raise InvalidOrder(errors)
    shipment_lines = ShipmentLine.objects.select_related("shipment", "order_line").in_bulk(
        [line.shipment_line_id for line in wanted]
    )
    at = timezone.now()
    rma = ReturnAuthorisation.objects.create(
        number=format_number("RMA", at.year, next_number(sequence="return", year=at.year)),
        order=order,
        warehouse_id=shipment_lines[wanted[0].shipment_line_id].shipment.warehouse_id,
        note=note.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(rma=rma, shipment_line_id=line.shipment_line_id, quantity=line.quantity, reason=line.reason)
        for line in wanted
    )
    summary = ", ".join(f"{line.quantity} x {shipment_lines[line.shipment_line_id].order_line.sku}" for line in wanted)
    _event(order, "return", f"Return {rma.number} authorised: {summary}", actor, new={"rma": rma.number})
    return rma


def _locked_rma(rma_id: int) -> tuple[Order, ReturnAuthorisation]:
    return locked_with_order(ReturnAuthorisation, rma_id, "return")


@transaction.atomic
def return_receive(*, rma_id: int, receipts: list[ReturnReceipt], actor=None) -> ReturnAuthorisation:
    """Take the returned units in: sellable ones back to a bin, damaged ones to quarantine. Units that
    did not come back are received as zero. Raises InvalidOrder naming each wrong line."""
    order, rma = _locked_rma(rma_id)
    if rma.status != ReturnStatus.AUTHORISED:
        raise OrderError(f"Return {rma.number} is {rma.get_status_display().lower()}; it cannot be received again.")
    lines = {line.pk: line for line in rma.lines.select_related("shipment_line__order_line")}
    bins = inventory_selectors.return_bins(warehouse_id=rma.warehouse_id)
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for index, receipt in enumerate(receipts):
        path = f"lines[{index}]"
        line = lines.get(receipt.return_line_id)
        if line is None or receipt.return_line_id in seen:
            errors[path] = "Not a line of this return (or given twice)."
            continue
        seen.add(receipt.return_line_id)
        if not isinstance(receipt.quantity, int) or not 0 <= receipt.quantity <= line.quantity:
            errors[f"{path}.quantity"] = f"Enter how many of the {line.quantity} authorised came back."
        elif receipt.condition not in ReturnCondition.values:
            errors[f"{path}.condition"] = "Say what state the units are in."
        elif receipt.quantity and _bin_for(receipt, bins) is None:
            kind = "quarantine bin" if receipt.condition == ReturnCondition.DAMAGED else "bin that is not quarantine"
            errors[f"{path}.bin"] = f"Choose a {kind} of warehouse {rma.warehouse.code}."
    if not errors and not any(receipt.quantity for receipt in receipts):
        errors["lines"] = "Nothing came back: cancel the return instead."
    if errors:
        raise InvalidOrder(errors)

    into_stock: list[StockLine] = []
    into_quarantine: list[StockLine] = []
    # Units of each order line valued earlier in this return (one line may have shipped in two parts).
    valued_here: dict[int, int] = defaultdict(int)
    for receipt in receipts:
        line = lines[receipt.return_line_id]
        line.received_quantity, line.condition = receipt.quantity, receipt.condition
        if receipt.quantity:
            bin_ = _bin_for(receipt, bins)
            line.bin = bin_
            order_line_id = line.shipment_line.order_line_id
            line.value_amount = _value_of(line, valued_here[order_line_id])
            valued_here[order_line_id] += receipt.quantity
            target = into_quarantine if receipt.condition == ReturnCondition.DAMAGED else into_stock
            target.append(StockLine(line.shipment_line.order_line.product_id, receipt.quantity, bin_.pk))
    for to_quarantine, stock_lines in ((False, into_stock), (True, into_quarantine)):
        if stock_lines:
            inventory_services.stock_return(
                warehouse_id=rma.warehouse_id,
                lines=stock_lines,
                to_quarantine=to_quarantine,
                actor=actor,
                reason=f"Return {rma.number}",
                source_type=SOURCE,
                source_id=str(rma.pk),
            )
    ReturnLine.objects.bulk_update(lines.values(), ["received_quantity", "condition", "bin", "value_amount"])
    rma.status, rma.received_at = ReturnStatus.RECEIVED, timezone.now()
    rma.save(update_fields=["status", "received_at"])
    received = ", ".join(
        f"{line.received_quantity} x {line.shipment_line.order_line.sku} ({line.get_condition_display().lower()})"
        for line in lines.values()
        if line.received_quantity
    )
    _event(order, "return", f"Return {rma.number} received: {received}; {return_value(rma)} due", actor)
    order_status_follow(order, actor)
    return rma


def _bin_for(receipt: ReturnReceipt, bins: dict[int, Bin]) -> Bin | None:
    quarantine = receipt.condition == ReturnCondition.DAMAGED
    if receipt.bin_id is not None:
        chosen = bins.get(receipt.bin_id)
        return chosen if chosen is not None and chosen.is_quarantine == quarantine else None
    fitting = sorted(
        (b for b in bins.values() if b.is_quarantine == quarantine), key=lambda b: (b.pick_sequence, b.code)
    )
    return fitting[0] if fitting else None


def _value_of(line: ReturnLine, valued_here: int) -> Decimal:
    """The received units' share of what the customer paid for the line (tax included). Shares are
    taken as differences of a running total (earlier returns, then `valued_here` units valued earlier
    in this one), so returning every unit gives back the line's total to the cent however the units
    were split across returns and shipments."""
    order_line = line.shipment_line.order_line
    order = order_line.order
    paid = order_line.total_amount + (Decimal(0) if order.prices_include_tax else order_line.tax_amount)
    before = (
        ReturnLine.objects.filter(
            shipment_line__order_line=order_line, rma__status__in=(ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
        )
        .exclude(pk=line.pk)
        .aggregate(total=Sum("received_quantity"))["total"]
        or 0
    ) + valued_here

    def share(units: int) -> Decimal:
        return quantize(paid * units / order_line.quantity)

    return share(before + line.received_quantity) - share(before)


def return_value(rma: ReturnAuthorisation) -> Decimal:
    """What the received units of the return are worth to the customer."""
    return rma.lines.aggregate(total=Sum("value_amount"))["total"] or Decimal("0.00")


def settleable_amount(order: Order, paid: dict[str, Decimal] | None = None) -> Decimal:
    """The most that may still be refunded or credited on the order: its total less what was given back."""
    paid = _payment_totals(order) if paid is None else paid
    credited = order.credit_notes.aggregate(total=Sum("amount"))["total"] or 0
    return order.total_amount - paid[Payment.Kind.REFUND] - credited


def _payment_totals(order: Order) -> dict[str, Decimal]:
    """The order's payments summed per kind (every kind present, zero when there is none)."""
    totals = dict.fromkeys(Payment.Kind.values, Decimal(0))
    for kind, total in order.payments.values_list("kind").annotate(total=Sum("amount")).order_by():
        totals[kind] = total
    return totals


@transaction.atomic
def return_settle(
    *,
    rma_id: int,
    settlement: str,
    amount: Decimal | None = None,
    reference: str = "",
    actor=None,
) -> ReturnAuthorisation:
    """Pay the customer back for a received return: a refund to the original payment (only of money
    that was received) or a credit note on their account. `amount` defaults to the return's value and
    may differ (a restocking fee, or shipping refunded too) up to what the order may still give back."""
    order, rma = _locked_rma(rma_id)
    if rma.status != ReturnStatus.RECEIVED:
        raise OrderError(
            f"Return {rma.number} is {rma.get_status_display().lower()}; only a received return is settled."
        )
    if settlement not in Settlement.values:
        raise InvalidOrder({"settlement": "Choose a refund or a credit note."})
    amount = return_value(rma) if amount is None else amount
    errors: dict[str, str] = {}
    paid = _payment_totals(order)
    limit = settleable_amount(order, paid)
    if not isinstance(amount, Decimal) or amount <= 0:
        errors["amount"] = "Enter an amount above zero."
    elif quantize(amount) != amount:
        errors["amount"] = "Enter the amount in whole cents."
    elif amount > limit:
        errors["amount"] = f"At most {limit} may still be given back on order {order.number}."
    elif settlement == Settlement.REFUND:
        refundable = paid[Payment.Kind.CAPTURE] + paid[Payment.Kind.COD_COLLECTED] - paid[Payment.Kind.REFUND]
        if amount > refundable:
            errors["settlement"] = f"Only {refundable} was received that could be refunded; give a credit note instead."
        elif not reference.strip():
            errors["reference"] = "Enter the refund's reference (payment provider or bank)."
    if errors:
        raise InvalidOrder(errors)

    who = actor if getattr(actor, "pk", None) else None
    if settlement == Settlement.REFUND:
        Payment.objects.create(
            order=order,
            kind=Payment.Kind.REFUND,
            method=order.payment_method,
            amount=amount,
            reference=reference.strip(),
            actor=who,
        )
        message = f"Refunded {amount} for return {rma.number} ({reference.strip()})"
    else:
        at = timezone.now()
        note = CreditNote.objects.create(
            number=format_number("CN", at.year, next_number(sequence="credit_note", year=at.year)),
            order=order,
            customer_id=order.customer_id,
            rma=rma,
            amount=amount,
            reason=f"Return {rma.number}",
            created_by=who,
        )
        reference = note.number
        message = f"Credit note {note.number} for {amount} (return {rma.number})"
    rma.status, rma.settlement, rma.settled_amount = ReturnStatus.REFUNDED, settlement, amount
    rma.settlement_reference, rma.settled_at = reference.strip(), timezone.now()
    rma.save(update_fields=["status", "settlement", "settled_amount", "settlement_reference", "settled_at"])
    _event(order, "refund", message, actor)
    payment_status_update(order, actor)
    return rma


@transaction.atomic
def return_cancel(*, rma_id: int, actor=None, reason: str = "") -> ReturnAuthorisation:
    """Withdraw an authorisation whose goods never came."""
    order, rma = _locked_rma(rma_id)
    if rma.status != ReturnStatus.AUTHORISED:
        raise OrderError(f"Return {rma.number} is {rma.get_status_display().lower()}; it can no longer be cancelled.")
    if not reason.strip():
        raise OrderError("Say why the return is cancelled.")
    rma.status = ReturnStatus.CANCELLED
    rma.save(update_fields=["status"])
    _event(order, "return", f"Return {rma.number} cancelled: {reason.strip()}", actor)
    return rma
