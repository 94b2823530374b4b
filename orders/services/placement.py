"""Placing an order: validate, price with the pricing engine, allocate to warehouses, reserve stock,
redeem coupons, number it and decide whether it may be fulfilled or must wait on a hold — in one
transaction. The staff UI, the API and channel imports all come through `order_place`.
"""

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Upper
from django.utils import timezone

from backoffice.numbering import format_number, next_number
from crm.models import Customer
from inventory import services as inventory_services
from inventory.exceptions import InsufficientStock, Shortage
from inventory.models import KitComponent, Product, StockLevel, Warehouse
from inventory.services import StockLine
from orders.allocation import Need, allocate
from orders.exceptions import DuplicateOrder, InvalidOrder
from orders.models import Order, OrderEvent, OrderLine, Payment, Shipment, ShipmentLine, WarehousePriority
from orders.states import HoldReason, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus
from pricing import selectors as pricing_selectors
from pricing import services as pricing_services
from pricing.engine import Cart, CartLine, PricedCart, price_cart
from pricing.exceptions import CouponUnavailable
from pricing.models import Channel

SOURCE = "orders.order"


@dataclass(frozen=True)
class AddressInput:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    company: str = ""
    phone: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    # The clerk accepts that what is not in stock waits for a delivery.
    allow_backorder: bool = False


@dataclass(frozen=True)
class ShipmentInput:
    ship_to: AddressInput | None = None
    # Pick-up at this warehouse (which must allow it) instead of delivery.
    pickup_warehouse: str = ""
    shipping_method: str = ""
    shipping_price: Decimal = Decimal("0.00")
    # (line index, quantity) pairs; None: every line's quantity not given to another shipment.
    lines: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class OrderInput:
    channel: str
    lines: tuple[LineInput, ...]
    shipments: tuple[ShipmentInput, ...]
    payment_method: str
    customer_id: int | None = None
    customer_name: str = ""
    email: str = ""
    phone: str = ""
    billing_address: AddressInput | None = None
    coupon_codes: tuple[str, ...] = ()
    external_id: str = ""
    # A prepaid order whose money has arrived (a card payment captured by the storefront).
    paid_reference: str = ""
    notes_customer: str = ""
    notes_internal: str = ""


@dataclass
class _Plan:
    """What validation found: the products, each shipment's lines, and the customer."""

    products: list[Product]
    shipment_lines: list[dict[int, int]]
    pickup: list[Warehouse | None]
    customer: Customer | None
    kit_parts: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)


@transaction.atomic(durable=True)
def order_place(*, data: OrderInput, actor=None, at: datetime | None = None) -> Order:
    """Place an order: priced, allocated, reserved, numbered and evented, or not at all.

    Raises InvalidOrder (with field paths), DuplicateOrder (the channel's external id was imported
    before), or InsufficientStock (a line short without backorder allowed, naming SKU, requested and
    available).
    """
    at = at or timezone.now()
    if data.external_id:
        _refuse_duplicate(data.channel, data.external_id)
    plan = _validate(data)
    priced = _price(data, plan, at)
    # Locks in the project's order: the order (orders), then coupons (pricing), then stock (inventory).
    try:
        # A savepoint: when a concurrent import of the same external id wins the unique index, this
        # transaction must stay usable to look up the winner's number.
        with transaction.atomic():
            order = _create_order(data, plan, priced, actor, at)
    except IntegrityError as error:
        if data.external_id and "order_external_id_per_channel" in str(error):
            _refuse_duplicate(data.channel, data.external_id)
        raise
    try:
        pricing_services.coupon_redeem(
            codes=priced.applied_coupons, customer_id=data.customer_id, source_type=SOURCE, source_id=str(order.pk)
        )
    except CouponUnavailable as error:
        raise InvalidOrder({"coupon_codes": str(error)}) from error
    allocations = _allocate(data, plan)
    _create_lines(order, data, plan, priced, allocations)
    reservations = _reservations(order, plan)
    if reservations:
        inventory_services.stock_reserve_allocated(
            allocations=reservations, actor=actor, source_type=SOURCE, source_id=str(order.pk)
        )
    _decide(order, actor)
    # Numbered last: the number's sequence row stays locked until this transaction ends.
    order.number = format_number("SO", at.year, next_number(sequence="order", year=at.year))
    order.save(update_fields=["number", "status", "hold_reason", "payment_status", "updated_at"])
    return order


def _refuse_duplicate(channel: str, external_id: str) -> None:
    number = Order.objects.filter(channel=channel, external_id=external_id).values_list("number", flat=True).first()
    if number:
        raise DuplicateOrder(number)


def _validate(data: OrderInput) -> _Plan:
    errors: dict[str, str] = {}
    if data.channel not in Channel.values:
        errors["channel"] = f"must be one of {', '.join(Channel.values)}"
    if data.payment_method not in PaymentMethod.values:
        errors["payment.method"] = f"must be one of {', '.join(PaymentMethod.values)}"
    if not data.lines:
        errors["lines"] = "an order needs at least one line"
    customer = None
    if data.customer_id is not None:
        customer = Customer.objects.select_related("tier").filter(pk=data.customer_id).first()
        if customer is None:
            errors["customer"] = "no such customer"
    elif not data.customer_name.strip():
        errors["customer.name"] = "give the customer's name"
    if data.payment_method == PaymentMethod.ACCOUNT and customer is None:
        errors["payment.method"] = "only a known customer can buy on account"
    products = _products(data, errors)
    shipment_lines, pickup = _shipments(data, errors)
    if errors:
        raise InvalidOrder(errors)
    kit_parts = _kit_parts([p for p in products if p.is_kit])
    return _Plan(products, shipment_lines, pickup, customer, kit_parts)


def _products(data: OrderInput, errors: dict[str, str]) -> list[Product]:
    wanted = [line.sku.strip().upper() for line in data.lines]
    found = {p.upper_sku: p for p in Product.objects.annotate(upper_sku=Upper("sku")).filter(upper_sku__in=set(wanted))}
    products = []
    for index, (line, sku) in enumerate(zip(data.lines, wanted, strict=True)):
        product = found.get(sku)
        if not isinstance(line.quantity, int) or line.quantity < 1:
            errors[f"lines[{index}].quantity"] = "must be a whole number of 1 or more"
        if product is None:
            errors[f"lines[{index}].sku"] = f"unknown SKU {line.sku!r}"
        elif not product.is_active:
            errors[f"lines[{index}].sku"] = f"{product.sku} is no longer sold"
        products.append(product)
    return products


def _shipments(data: OrderInput, errors: dict[str, str]):
    if not data.shipments:
        errors["shipments"] = "an order needs a delivery address or a pick-up"
        return [], []
    given: dict[int, int] = defaultdict(int)
    shipment_lines: list[dict[int, int]] = []
    pickups = {w.code.upper(): w for w in Warehouse.objects.filter(is_active=True)}
    pickup: list[Warehouse | None] = []
    for number, shipment in enumerate(data.shipments):
        path = f"shipments[{number}]"
        warehouse = None
        if shipment.pickup_warehouse:
            warehouse = pickups.get(shipment.pickup_warehouse.upper())
            if warehouse is None or not warehouse.is_pickup_location:
                errors[f"{path}.pickup_warehouse"] = f"customers cannot pick up at {shipment.pickup_warehouse!r}"
        elif shipment.ship_to is None:
            errors[f"{path}.ship_to"] = "give a delivery address or a pick-up warehouse"
        else:
            _check_address(shipment.ship_to, f"{path}.ship_to", errors)
        pickup.append(warehouse)
        lines: dict[int, int] = {}
        for index, quantity in shipment.lines or ():
            if not 0 <= index < len(data.lines):
                errors[f"{path}.lines"] = f"there is no line {index}"
            elif quantity < 1:
                errors[f"{path}.lines"] = "quantities must be 1 or more"
            else:
                lines[index] = lines.get(index, 0) + quantity
                given[index] += quantity
        shipment_lines.append(lines)
    # A shipment without explicit lines takes whatever the others left.
    for lines, shipment in zip(shipment_lines, data.shipments, strict=True):
        if shipment.lines is None:
            for index, line in enumerate(data.lines):
                rest = line.quantity - given[index]
                if rest > 0:
                    lines[index] = rest
                    given[index] += rest
    for index, line in enumerate(data.lines):
        if isinstance(line.quantity, int) and given[index] != line.quantity:
            errors[f"lines[{index}].quantity"] = f"{line.quantity} ordered but {given[index]} assigned to shipments"
    return shipment_lines, pickup


def _check_address(address: AddressInput, path: str, errors: dict[str, str]) -> None:
    for name in ("name", "line1", "city", "postal_code", "country"):
        if not getattr(address, name, "").strip():
            errors[f"{path}.{name}"] = "required"
    country = address.country.strip()
    if country and (len(country) != 2 or not country.isalpha()):
        errors[f"{path}.country"] = "an ISO 3166-1 alpha-2 code such as GB"


def _kit_parts(kits: list[Product]) -> dict[int, tuple[tuple[int, int], ...]]:
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for component in KitComponent.objects.filter(kit__in=kits):
        parts[component.kit_id].append((component.component_id, component.quantity))
    return {kit: tuple(pairs) for kit, pairs in parts.items()}


def _price(data: OrderInput, plan: _Plan, at: datetime, redeemed_by: tuple[str, str] | None = None) -> PricedCart:
    customer = plan.customer
    catalog = pricing_selectors.pricing_catalog(
        product_ids=[p.pk for p in plan.products],
        at=at,
        coupon_codes=data.coupon_codes,
        customer_id=customer.pk if customer else None,
        redeemed_by=redeemed_by,
    )
    cart = Cart(
        lines=tuple(CartLine(p.pk, line.quantity) for p, line in zip(plan.products, data.lines, strict=True)),
        at=at,
        channel=data.channel,
        customer_id=customer.pk if customer else None,
        tier_id=customer.tier_id if customer else None,
        coupon_codes=tuple(data.coupon_codes),
        shipping_price=sum((s.shipping_price for s in data.shipments), Decimal("0.00")),
        shipping_method=", ".join(s.shipping_method for s in data.shipments if s.shipping_method),
    )
    priced = price_cart(cart, catalog)
    if priced.rejected_coupons:
        raise InvalidOrder(
            {f"coupon_codes[{data.coupon_codes.index(code)}]": reason for code, reason in priced.rejected_coupons}
        )
    return priced


def _allocate(
    data: OrderInput,
    plan: _Plan,
    own_reserved: dict[tuple[int, int], int] | None = None,
    also_lock: set[int] = frozenset(),
) -> list[dict[int, dict[int, list[int]]]]:
    """Per shipment: {warehouse id: {line index: [quantity, backordered]}}; shortfalls become backorders
    on the shipment's first-ranked warehouse or refuse the order.

    The stock levels read are locked (in key order, like every stock operation) until the order
    commits: allocating from figures another order is changing would refuse orders that could be met,
    or split them needlessly. When an order is edited, `own_reserved` ({(warehouse, product): units})
    counts its present reservations as available again, and `also_lock` adds the products it drops."""
    parts = {p.pk: plan.kit_parts.get(p.pk, ((p.pk, 1),)) for p in plan.products}
    product_ids = {product for pairs in parts.values() for product, _ in pairs}
    availability: dict[int, dict[int, int]] = defaultdict(dict)
    levels = (
        StockLevel.objects.select_for_update(of=("self",))
        .filter(product_id__in=product_ids | set(also_lock), warehouse__is_active=True)
        .only("warehouse_id", "product_id", "available")
        .order_by("pk")
    )
    own_reserved = own_reserved or {}
    for level in levels:
        own = own_reserved.get((level.warehouse_id, level.product_id), 0)
        availability[level.warehouse_id][level.product_id] = level.available + own
    result = []
    shortages = []
    for number, (lines, shipment) in enumerate(zip(plan.shipment_lines, data.shipments, strict=True)):
        pickup = plan.pickup[number]
        ranking = [pickup.pk] if pickup else _ranking(shipment.ship_to)
        needs = [Need(index, quantity, parts[plan.products[index].pk]) for index, quantity in sorted(lines.items())]
        allocation = allocate(needs, availability, ranking)
        # warehouse id -> line index -> [quantity, of which backordered]
        assigned: dict[int, dict[int, list[int]]] = defaultdict(dict)
        for warehouse, taken in allocation.assignments.items():
            for index, quantity in taken.items():
                assigned[warehouse][index] = [quantity, 0]
        for index, missing in allocation.shortfalls.items():
            line, product = data.lines[index], plan.products[index]
            if not line.allow_backorder:
                available = sum(_units(parts[product.pk], stock) for stock in availability.values())
                shortages.append(Shortage(product.sku, "all warehouses", line.quantity, available))
                continue
            # What is missing waits in the warehouse ranked first for the destination.
            entry = assigned[ranking[0]].setdefault(index, [0, 0])
            entry[0] += missing
            entry[1] += missing
        for warehouse, taken in allocation.assignments.items():
            for index, quantity in taken.items():
                for product, per_unit in parts[plan.products[index].pk]:
                    availability[warehouse][product] = availability[warehouse].get(product, 0) - quantity * per_unit
        result.append({warehouse: lines for warehouse, lines in assigned.items() if lines})
    if shortages:
        raise InsufficientStock(shortages)
    return result


def _units(parts: tuple[tuple[int, int], ...], stock: dict[int, int]) -> int:
    return min(max(stock.get(product, 0), 0) // per_unit for product, per_unit in parts)


def _ranking(address: AddressInput) -> list[int]:
    """Active warehouses, best first for the destination: region rule, country rule, then by code."""
    country, region = address.country.strip().upper(), address.region.strip()
    rules = WarehousePriority.objects.filter(Q(region="") | Q(region__iexact=region), country=country)
    rank = {}
    for rule in sorted(rules, key=lambda r: (r.region == "", r.priority)):
        rank.setdefault(rule.warehouse_id, (0 if rule.region else 1, rule.priority))
    warehouses = Warehouse.objects.filter(is_active=True).order_by("code").values_list("pk", flat=True)
    return sorted(warehouses, key=lambda pk: rank.get(pk, (2, 0)))


def _create_order(data, plan, priced, actor, at) -> Order:
    customer = plan.customer
    order = Order.objects.create(
        # A unique placeholder until the real number is taken at the end of the transaction.
        number=f"new-{uuid.uuid4().hex[:16]}",
        channel=data.channel,
        external_id=data.external_id,
        customer=customer,
        customer_name=(data.customer_name or (customer.name if customer else "")).strip(),
        email=(data.email or (customer.email if customer else "")).strip().lower(),
        phone=data.phone or (customer.phone if customer else ""),
        billing_address=data.billing_address.as_dict() if data.billing_address else {},
        status=OrderStatus.PLACED,
        payment_method=data.payment_method,
        currency=priced.currency,
        prices_include_tax=priced.prices_include_tax,
        subtotal_amount=priced.subtotal,
        discount_amount=priced.discount_total,
        shipping_amount=priced.shipping.price,
        tax_amount=priced.tax_total,
        total_amount=priced.total,
        coupon_codes=list(priced.applied_coupons),
        pricing={
            "order_adjustments": [_adjustment(a) for a in priced.order_adjustments],
            "shipping_adjustment": _adjustment(priced.shipping.adjustment) if priced.shipping.adjustment else None,
            "explanations": list(priced.explanations),
            "tax_breakdown": [[str(rate), str(base), str(tax)] for rate, base, tax in priced.tax_breakdown],
        },
        notes_customer=data.notes_customer,
        notes_internal=data.notes_internal,
        placed_at=at,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if data.payment_method == PaymentMethod.PREPAID and data.paid_reference:
        Payment.objects.create(
            order=order,
            kind=Payment.Kind.CAPTURE,
            method=PaymentMethod.PREPAID,
            amount=priced.total,
            reference=data.paid_reference,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        order.payment_status = PaymentStatus.PAID
    _event(
        order,
        "placed",
        f"Order placed by {_who(actor)} via {order.get_channel_display()}",
        actor,
        new=str(order.total_amount),
    )
    return order


def _create_lines(order, data, plan, priced, allocations) -> None:
    lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=index + 1,
                product=product,
                sku=product.sku,
                name=product.name,
                quantity=line.quantity,
                backordered_quantity=sum(
                    taken[index][1] for allocation in allocations for taken in allocation.values() if index in taken
                ),
                unit_price=priced_line.unit_price,
                price_source=priced_line.price_source,
                base_amount=priced_line.base_total,
                discount_amount=priced_line.discount,
                total_amount=priced_line.total,
                tax_rate=priced_line.tax_rate,
                tax_amount=priced_line.tax,
                adjustments=_line_adjustments(priced_line),
            )
            for index, (product, line, priced_line) in enumerate(
                zip(plan.products, data.lines, priced.lines, strict=True)
            )
        ]
    )
    _create_shipments(order, data, plan, allocations, lines)


def _create_shipments(order, data, plan, allocations, lines) -> None:
    position = 0
    shipment_lines = []
    for number, (shipment, allocation) in enumerate(zip(data.shipments, allocations, strict=True)):
        pickup = plan.pickup[number]
        for warehouse_id, taken in sorted(allocation.items()):
            position += 1
            row = Shipment.objects.create(
                order=order,
                position=position,
                warehouse_id=warehouse_id,
                is_pickup=pickup is not None,
                ship_to=shipment.ship_to.as_dict() if shipment.ship_to else {},
                shipping_method=shipment.shipping_method or ("Pick-up" if pickup else ""),
                # The shipment's charge goes with its first part when allocation splits it.
                shipping_amount=shipment.shipping_price if warehouse_id == min(allocation) else Decimal("0.00"),
            )
            for index, (quantity, backordered) in sorted(taken.items()):
                shipment_lines.append(
                    ShipmentLine(
                        shipment=row,
                        order_line=lines[index],
                        quantity=quantity,
                        reserved_quantity=quantity - backordered,
                    )
                )
    ShipmentLine.objects.bulk_create(shipment_lines)


def _reservations(order: Order, plan: _Plan) -> dict[int, list[StockLine]]:
    reservations: dict[int, list[StockLine]] = defaultdict(list)
    for line in ShipmentLine.objects.filter(shipment__order=order, reserved_quantity__gt=0).select_related(
        "shipment", "order_line"
    ):
        reservations[line.shipment.warehouse_id].append(StockLine(line.order_line.product_id, line.reserved_quantity))
    return reservations


def _decide(order: Order, actor) -> None:
    """Ready to fulfil, or on hold until payment or credit allows it."""
    hold = hold_needed(order)
    if hold:
        order.status, order.hold_reason = OrderStatus.ON_HOLD, hold
        message = f"On hold: {HoldReason(hold).label}"
        _event(order, "hold", message, actor, old=OrderStatus.PLACED, new=OrderStatus.ON_HOLD)
    else:
        order.status = OrderStatus.READY
        Shipment.objects.filter(order=order).update(status=ShipmentStatus.READY)
        _event(order, "status", "Ready to fulfil", actor, old=OrderStatus.PLACED, new=OrderStatus.READY)


def hold_needed(order: Order) -> str | None:
    """The hold an order needs before it may be fulfilled, if any: unpaid prepayment, or an on-account
    order that takes the customer past their credit limit."""
    if order.payment_method == PaymentMethod.PREPAID and order.payment_status not in (
        PaymentStatus.PAID,
        PaymentStatus.AUTHORISED,
    ):
        return HoldReason.PAYMENT_PENDING
    if order.payment_method == PaymentMethod.ACCOUNT:
        # Open invoices arrive with fulfilment; until then, unpaid on-account orders are the balance.
        open_balance = Order.objects.filter(
            customer_id=order.customer_id, payment_method=PaymentMethod.ACCOUNT, payment_status=PaymentStatus.UNPAID
        ).exclude(status=OrderStatus.CANCELLED).aggregate(total=Sum("total_amount"))["total"] or Decimal("0.00")
        if open_balance > order.customer.credit_limit_amount:
            return HoldReason.CREDIT_LIMIT
    return None


def _line_adjustments(priced_line) -> list[dict]:
    """The line's own adjustments, then its share of the order-level ones."""
    adjustments = [_adjustment(a) for a in priced_line.adjustments]
    if priced_line.order_discount:
        adjustments.append(
            {
                "kind": "order_share",
                "amount": str(priced_line.order_discount),
                "description": "Share of order discounts",
            }
        )
    return adjustments


def _adjustment(adjustment) -> dict:
    return {
        "promotion_id": adjustment.promotion_id,
        "promotion": adjustment.promotion_name,
        "kind": adjustment.kind,
        "amount": str(adjustment.amount),
        "description": adjustment.description,
        "coupon_code": adjustment.coupon_code,
        "capped_by_margin_floor": adjustment.capped_by_margin_floor,
    }


def _who(actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "the system"
    return actor.get_full_name() or actor.get_username()


def _event(order: Order, kind: str, message: str, actor, *, old=None, new=None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message[:300],
        old_value=old,
        new_value=new,
        actor=actor if getattr(actor, "pk", None) else None,
    )
