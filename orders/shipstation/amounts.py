"""The money of an exported shipment (export.py): the order's amounts when it is the order's only
shipment, else its share of them.

A shipment's share of each order line's total and tax goes by its lines' units; its part of the
order's shipping (after any shipping discount) and of the shipping's tax goes by its own shipping
charge, or in equal parts among the shipments to an address when none carries one. Every share is a
difference of running shares (`running_share`), the parts taken in a fixed order (an order line's
shipment lines by id, an order's shipments by id), so the shares of an order's shipments add up to
the order's total, tax and shipping to the cent: rounding each share on its own does not promise
that (three thirds of 26.00 are 8.67 each, 26.01). A pick-up takes its share too, which is therefore
not in the export.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from backoffice.money import quantize
from orders.models import OrderLine, Shipment, ShipmentLine


@dataclass
class Totals:
    goods: Decimal  # the lines after every discount
    shipping: Decimal
    tax: Decimal
    total: Decimal


def running_share(amount: Decimal, before, upto, whole) -> Decimal:
    """A part's share of `amount` when `whole` is cut into parts taken in a fixed order: the share of
    the parts up to and including it (`upto`) less the share of those before it (`before`), each
    rounded. The shares of all the parts add up to `amount` to the cent; the last one takes exactly
    what the others left."""
    if not whole:
        return Decimal("0.00")
    return quantize(amount * upto / whole) - quantize(amount * before / whole)


def shipping_part(shipment_id: int, siblings: list[tuple[int, bool, Decimal]]) -> tuple[Decimal, Decimal, Decimal]:
    """The shipment's part of its order's shipping as `running_share` takes it: the weight of the
    order's shipments before it, up to and including it, and of all of them. `siblings` are every
    shipment of the order as (id, is pick-up, shipping charge)."""
    weights = [(pk, amount) for pk, _is_pickup, amount in siblings]
    if not any(amount for _pk, amount in weights):
        weights = [(pk, Decimal(0 if is_pickup else 1)) for pk, is_pickup, _amount in siblings]
    before = sum((amount for pk, amount in weights if pk < shipment_id), Decimal(0))
    own = sum((amount for pk, amount in weights if pk == shipment_id), Decimal(0))
    return before, before + own, sum((amount for _pk, amount in weights), Decimal(0))


def line_share(line: ShipmentLine, amount: Decimal) -> Decimal:
    """The shipment line's units' share of an amount of its order line (its total, its tax); needs
    `units_before`, the order line's units in shipment lines before this one."""
    return running_share(amount, line.units_before, line.units_before + line.quantity, line.order_line.quantity)


def totals_of(shipment: Shipment, lines: list[ShipmentLine]) -> Totals:
    """The shipment's OrderTotal, TaxAmount and ShippingAmount, and its goods (the lines after every
    discount). Needs on the shipment `shipment_count`, `shipping_part` and `line_tax` (the order's
    lines' tax), and on each line `units_before` (export.export_page sets them)."""
    order = shipment.order
    goods = sum((line_share(line, line.order_line.total_amount) for line in lines), Decimal("0.00"))
    if shipment.shipment_count == 1:
        return Totals(goods, order.shipping_amount, order.tax_amount, order.total_amount)
    before, upto, whole = shipment.shipping_part
    shipping = running_share(order.shipping_amount, before, upto, whole)
    shipping_tax = order.tax_amount - (shipment.line_tax or Decimal(0))
    tax = sum((line_share(line, line.order_line.tax_amount) for line in lines), Decimal("0.00"))
    tax += running_share(shipping_tax, before, upto, whole)
    total = goods + shipping + (Decimal(0) if order.prices_include_tax else tax)
    return Totals(goods, shipping, tax, total)


def unit_price(order_line: OrderLine) -> Decimal:
    """The price of one unit after the line's own promotions, before its share of order discounts."""
    order_share = sum(
        (Decimal(str(a.get("amount", "0"))) for a in order_line.adjustments or [] if a.get("kind") == "order_share"),
        Decimal(0),
    )
    own_discount = order_line.discount_amount - order_share
    return ((order_line.base_amount - own_discount) / order_line.quantity).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )
