"""What the API answers: orders and stock as plain JSON values, money as decimal strings.

These shapes are the Order and StockPage schemas of orders/api/openapi.py; tests check real answers
against them.
"""

from decimal import Decimal

from backoffice.money import CENT
from orders.api.parsing import ADDRESS_FIELDS
from orders.api.selectors import SkuStock, StockPage
from orders.models import Order


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def unit_price(amount: Decimal) -> str:
    """Two decimals, or up to four when the price has them (0.0125 a screw)."""
    if amount == amount.quantize(CENT):
        return money(amount)
    return str(amount.quantize(Decimal("0.0001")).normalize())


def order_data(order: Order) -> dict:
    """An order read with orders.api.selectors.order_get."""
    lines = list(order.lines.all())
    return {
        "number": order.number,
        "channel": order.channel,
        "external_id": order.external_id,
        "status": order.status,
        "hold_reason": order.hold_reason or None,
        "payment": {"method": order.payment_method, "status": order.payment_status},
        "customer": {"name": order.customer_name, "email": order.email, "phone": order.phone},
        "billing_address": _address(order.billing_address),
        "currency": order.currency,
        "prices_include_tax": order.prices_include_tax,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "backordered_quantity": line.backordered_quantity,
                "unit_price": unit_price(line.unit_price),
                "discount": money(line.discount_amount),
                "total": money(line.total_amount),
                "tax_rate": str(line.tax_rate),
                "tax": money(line.tax_amount),
            }
            for line in lines
        ],
        "discounts": _discounts(order, lines),
        "explanations": list(order.pricing.get("explanations", [])),
        "coupon_codes": list(order.coupon_codes),
        "subtotal": money(order.subtotal_amount),
        "discount": money(order.discount_amount),
        "shipping": money(order.shipping_amount),
        "tax": money(order.tax_amount),
        "total": money(order.total_amount),
        "shipments": [
            {
                "warehouse": shipment.warehouse.code,
                "is_pickup": shipment.is_pickup,
                "method": shipment.shipping_method,
                "address": _address(shipment.ship_to),
                "status": shipment.status,
                "shipping": money(shipment.shipping_amount),
                "lines": [{"sku": line.order_line.sku, "quantity": line.quantity} for line in shipment.lines.all()],
                # TODO(#6): the parcels' tracking numbers, once fulfilment records them.
                "tracking_numbers": [],
            }
            for shipment in order.shipments.all()
        ],
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
    }


def _address(stored: dict) -> dict | None:
    if not stored:
        return None
    return {name: stored.get(name, "") for name in ADDRESS_FIELDS}


def _discounts(order: Order, lines) -> list[dict]:
    """Every discount with its explanation: the lines' own, the order's (shared over the lines' totals),
    and the shipping's. Their amounts add up to the order's `discount`."""
    discounts = [
        _discount("line", adjustment, sku=line.sku)
        for line in lines
        for adjustment in line.adjustments
        # A line's share of an order discount is listed once, as the order's.
        if adjustment.get("kind") != "order_share"
    ]
    discounts += [_discount("order", adjustment) for adjustment in order.pricing.get("order_adjustments", [])]
    shipping = order.pricing.get("shipping_adjustment")
    if shipping:
        discounts.append(_discount("shipping", shipping))
    return discounts


def _discount(applies_to: str, adjustment: dict, *, sku: str | None = None) -> dict:
    return {
        "applies_to": applies_to,
        "sku": sku,
        "promotion": adjustment.get("promotion", ""),
        "coupon_code": adjustment.get("coupon_code") or None,
        "amount": money(Decimal(adjustment["amount"])),
        "explanation": adjustment.get("description", ""),
    }


def stock_data(page: StockPage, *, next_url: str | None) -> dict:
    return {
        "results": [_sku_stock(item) for item in page.items],
        "next": next_url,
        "unknown_skus": page.unknown_skus,
    }


def _sku_stock(item: SkuStock) -> dict:
    return {
        "sku": item.sku,
        "is_active": item.is_active,
        "available": item.available,
        "updated_at": item.updated_at.isoformat(),
        "warehouses": [
            {"code": w.code, "on_hand": w.on_hand, "reserved": w.reserved, "available": w.available}
            for w in item.warehouses
        ],
    }
