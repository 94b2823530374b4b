"""Placing an order: validate, price with the pricing engine, allocate to warehouses, reserve stock,
redeem coupons, number it and decide whether it may be fulfilled or must wait on a hold — in one
transaction. The staff UI, the API and channel imports all come through `order_place`.

It is the busiest write of the system, so it counts its statements. One query reads the products
with what pricing needs of them (pricing.selectors.catalog_products), their stock and the warehouses
with their priorities; the pricing policy, tax rates and promotions come from pricing's per-process
cache (pricing/cache.py); the order is allocated from the stock read without locks and the
reservation, which locks and checks every figure, tells whether another order took it meanwhile (then
the allocation is made again from locked figures); rows are written in bulk and nothing just written
is read back. A 3-line order for a guest takes 11 statements, 15 with the transaction's begin and
commit and the reservation's savepoint (tests/orders/test_placement_performance.py keeps it so).
"""

import json
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Func, JSONField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.utils import timezone

from backoffice.numbering import format_number, next_number
from crm.models import Customer
from inventory import services as inventory_services
from inventory.exceptions import InsufficientStock, Shortage
from inventory.models import Product, StockLevel
from inventory.services import StockLine
from orders.allocation import Need, allocate
from orders.exceptions import DuplicateOrder, InvalidOrder
from orders.models import Order, OrderEvent, OrderLine, Payment, Shipment, ShipmentLine
from orders.selectors import customer_open_balance
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
    # Who placed it when no staff user did, for the timeline (e.g. "API token shopify").
    placed_via: str = ""


# Read with the order's products (pricing.selectors.catalog_products), written in SQL for the same
# reason: the available stock of a product (%(expressions)s: its id) in the active warehouses, not
# locked; and the active warehouses by code, with their priority rules for the destination countries.
_STOCK = """(
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'warehouse_id', level.warehouse_id, 'available', level.available
           )), '[]')
      FROM inventory_stocklevel AS level
      JOIN inventory_warehouse AS warehouse ON warehouse.id = level.warehouse_id
     WHERE level.product_id = %(expressions)s AND warehouse.is_active
)"""
_WAREHOUSES = """(
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', warehouse.id, 'code', warehouse.code, 'is_pickup_location', warehouse.is_pickup_location,
               'rules', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                    'country', rule.country, 'region', rule.region, 'priority', rule.priority)), '[]')
                           FROM orders_warehousepriority AS rule
                          WHERE rule.warehouse_id = warehouse.id AND rule.country = ANY(%s))
           ) ORDER BY warehouse.code), '[]')
      FROM inventory_warehouse AS warehouse
     WHERE warehouse.is_active
)"""


@dataclass(frozen=True)
class _Rule:
    """A WarehousePriority row: the warehouse's rank for a country, or a region of it."""

    country: str
    region: str
    priority: int


@dataclass(frozen=True)
class _Warehouse:
    """An active warehouse, with its priority rules for the order's destination countries."""

    id: int
    code: str
    is_pickup_location: bool
    rules: tuple[_Rule, ...] = ()


@dataclass
class _Plan:
    """What validation found: the products (loaded through `pricing.selectors.catalog_products`), each
    shipment's lines, pick-up warehouse and warehouse ranking, and the customer."""

    products: list[Product]
    shipment_lines: list[dict[int, int]]
    pickup: list[_Warehouse | None]
    customer: Customer | None
    kit_parts: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # Per shipment: active warehouse ids, best first for its destination (a pick-up: that warehouse).
    rankings: list[list[int]] = field(default_factory=list)
    # {warehouse id: {product id: available}} as read with the products, without locks; None when the
    # order has kits (whose components' stock is not read with them).
    stock: dict[int, dict[int, int]] | None = None


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
    order = _create_order(data, plan, priced, actor, at)
    events = [
        _event(
            order,
            "placed",
            f"Order placed by {_who(actor, data.placed_via)} via {order.get_channel_display()}",
            actor,
            new=str(order.total_amount),
        )
    ]
    if priced.applied_coupons:
        try:
            pricing_services.coupon_redeem(
                codes=priced.applied_coupons,
                customer_id=data.customer_id,
                source_type=SOURCE,
                source_id=str(order.pk),
            )
        except CouponUnavailable as error:
            raise InvalidOrder({"coupon_codes": str(error)}) from error
    allocations = _allocate_and_reserve(order, data, plan, actor)
    events.append(_decide(order, actor))
    _create_lines(
        order,
        data,
        plan,
        priced,
        allocations,
        shipment_status=ShipmentStatus.READY if order.status == OrderStatus.READY else ShipmentStatus.PENDING,
    )
    OrderEvent.objects.bulk_create(events)
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
        elif not customer.is_active:
            errors["customer"] = f"{customer.name} is inactive: reactivate the customer to take an order"
    elif not data.customer_name.strip():
        errors["customer.name"] = "give the customer's name"
    if data.payment_method == PaymentMethod.ACCOUNT and customer is None:
        errors["payment.method"] = "only a known customer can buy on account"
    products, warehouses = _products(data, errors)
    shipment_lines, pickup, rankings = _shipments(data, warehouses, errors)
    if errors:
        raise InvalidOrder(errors)
    kit_parts = {
        p.pk: tuple((row["component_id"], row["quantity"]) for row in p.kit_rows)
        for p in products
        if p.is_kit and p.kit_rows
    }
    stock = None
    if not any(p.is_kit for p in products):
        stock = defaultdict(dict)
        for product in products:
            for row in product.stock:
                stock[row["warehouse_id"]][product.pk] = row["available"]
    return _Plan(products, shipment_lines, pickup, customer, kit_parts, rankings, stock)


def _products(data: OrderInput, errors: dict[str, str]) -> tuple[list[Product], list[_Warehouse]]:
    """The order's products, with what pricing needs of them and their stock in the active warehouses
    (`stock`, not locked), and, riding along in the same query, the active warehouses with their
    priority rules for the order's destinations."""
    wanted = [line.sku.strip().upper() for line in data.lines]
    countries = sorted(
        {s.ship_to.country.strip().upper() for s in data.shipments if s.ship_to and not s.pickup_warehouse}
    )
    found = {
        p.upper_sku: p
        for p in pricing_selectors.catalog_products(
            Product.objects.annotate(upper_sku=Upper("sku")).filter(upper_sku__in=set(wanted))
        ).annotate(
            stock=Func(F("pk"), template=_STOCK, output_field=JSONField()),
            warehouses=RawSQL(_WAREHOUSES, [countries], output_field=JSONField()),
        )
    }
    if found:
        rows = next(iter(found.values())).warehouses
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_WAREHOUSES}::text", [countries])
            rows = json.loads(cursor.fetchone()[0])
    warehouses = [
        _Warehouse(row["id"], row["code"], row["is_pickup_location"], tuple(_Rule(**rule) for rule in row["rules"]))
        for row in rows
    ]
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
    return products, warehouses


def _shipments(data: OrderInput, warehouses: list[_Warehouse], errors: dict[str, str]):
    if not data.shipments:
        errors["shipments"] = "an order needs a delivery address or a pick-up"
        return [], [], []
    given: dict[int, int] = defaultdict(int)
    shipment_lines: list[dict[int, int]] = []
    pickups = {w.code.upper(): w for w in warehouses}
    pickup: list[_Warehouse | None] = []
    rankings: list[list[int]] = []
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
        if shipment.pickup_warehouse:
            rankings.append([warehouse.id] if warehouse else [])
        else:
            rankings.append(_ranking(warehouses, shipment.ship_to) if shipment.ship_to else [])
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
    return shipment_lines, pickup, rankings


def _check_address(address: AddressInput, path: str, errors: dict[str, str]) -> None:
    for name in ("name", "line1", "city", "postal_code", "country"):
        if not getattr(address, name, "").strip():
            errors[f"{path}.{name}"] = "required"
    country = address.country.strip()
    if country and (len(country) != 2 or not country.isalpha()):
        errors[f"{path}.country"] = "an ISO 3166-1 alpha-2 code such as GB"


def _price(data: OrderInput, plan: _Plan, at: datetime, redeemed_by: tuple[str, str] | None = None) -> PricedCart:
    customer = plan.customer
    catalog = pricing_selectors.pricing_catalog(
        products=plan.products,
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


def _allocate_and_reserve(order: Order, data: OrderInput, plan: _Plan, actor) -> list[dict[int, dict[int, list[int]]]]:
    """Allocate the order to warehouses and reserve its stock; returns the allocations (see _allocate).

    First from the stock read with the products, holding no locks: the reservation checks every figure
    under lock and fails whole if another order took the stock meanwhile (undone by its savepoint, its
    locks released). Then, and whenever that first attempt finds a shortage, the allocation is made
    again from the stock levels locked as they are now, as order_edit always does."""
    if plan.stock is not None:
        try:
            allocations = _allocate(data, plan, availability=plan.stock)
            _reserve(order, plan, allocations, actor)
            return allocations
        except InsufficientStock:
            pass
    allocations = _allocate(data, plan)
    _reserve(order, plan, allocations, actor)
    return allocations


def _reserve(order: Order, plan: _Plan, allocations, actor) -> None:
    reservations = _reservations(plan, allocations)
    if reservations:
        inventory_services.stock_reserve_allocated(
            allocations=reservations, actor=actor, source_type=SOURCE, source_id=str(order.pk)
        )


def _reservations(plan: _Plan, allocations) -> dict[int, list[StockLine]]:
    """What the allocations reserve: {warehouse id: lines} (backordered units wait for stock)."""
    reservations: dict[int, list[StockLine]] = defaultdict(list)
    for allocation in allocations:
        for warehouse, taken in sorted(allocation.items()):
            for index, (quantity, backordered) in sorted(taken.items()):
                if quantity > backordered:
                    reservations[warehouse].append(StockLine(plan.products[index].pk, quantity - backordered))
    return dict(reservations)


def _allocate(
    data: OrderInput,
    plan: _Plan,
    own_reserved: dict[tuple[int, int], int] | None = None,
    also_lock: set[int] = frozenset(),
    availability: dict[int, dict[int, int]] | None = None,
) -> list[dict[int, dict[int, list[int]]]]:
    """Per shipment: {warehouse id: {line index: [quantity, backordered]}}; shortfalls become backorders
    on the shipment's first-ranked warehouse or refuse the order.

    Unless `availability` ({warehouse: {product: units}}) is given, the stock levels read are locked (in
    key order, like every stock operation) until the order commits: allocating from figures another
    order is changing would refuse orders that could be met, or split them needlessly. When an order is
    edited, `own_reserved` ({(warehouse, product): units}) counts its present reservations as available
    again, and `also_lock` adds the products it drops."""
    parts = {p.pk: plan.kit_parts.get(p.pk, ((p.pk, 1),)) for p in plan.products}
    product_ids = {product for pairs in parts.values() for product, _ in pairs}
    if availability is not None:
        availability = defaultdict(dict, {warehouse: dict(stock) for warehouse, stock in availability.items()})
    else:
        availability = defaultdict(dict)
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
    for lines, ranking in zip(plan.shipment_lines, plan.rankings, strict=True):
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


def _ranking(warehouses: list[_Warehouse], address: AddressInput) -> list[int]:
    """Active warehouses (by code), best first for the destination: region rule, country rule, then by
    code."""
    country, region = address.country.strip().upper(), address.region.strip().upper()

    def rank(warehouse: _Warehouse) -> tuple[int, int]:
        rules = [
            (0 if rule.region else 1, rule.priority)
            for rule in warehouse.rules
            if rule.country == country and rule.region.upper() in ("", region)
        ]
        return min(rules, default=(2, 0))

    return [warehouse.id for warehouse in sorted(warehouses, key=rank)]


def _create_order(data, plan, priced, actor, at) -> Order:
    if not data.external_id:
        return _insert_order(data, plan, priced, actor, at)
    try:
        # A savepoint: when a concurrent import of the same external id wins the unique index, this
        # transaction must stay usable to look up the winner's number.
        with transaction.atomic():
            return _insert_order(data, plan, priced, actor, at)
    except IntegrityError as error:
        if "order_external_id_per_channel" in str(error):
            _refuse_duplicate(data.channel, data.external_id)
        raise


def _insert_order(data, plan, priced, actor, at) -> Order:
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
    return order


def _create_lines(order, data, plan, priced, allocations, *, shipment_status: str = ShipmentStatus.PENDING) -> None:
    """Write the order's lines, shipments and shipment lines, a statement each."""
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
    _create_shipments(order, data, plan, allocations, lines, shipment_status)


def _create_shipments(order, data, plan, allocations, lines, status) -> None:
    shipments: list[Shipment] = []
    taken_by_shipment: list[dict[int, list[int]]] = []
    for number, (shipment, allocation) in enumerate(zip(data.shipments, allocations, strict=True)):
        pickup = plan.pickup[number]
        for warehouse_id, taken in sorted(allocation.items()):
            shipments.append(
                Shipment(
                    order=order,
                    position=len(shipments) + 1,
                    warehouse_id=warehouse_id,
                    is_pickup=pickup is not None,
                    ship_to=shipment.ship_to.as_dict() if shipment.ship_to else {},
                    shipping_method=shipment.shipping_method or ("Pick-up" if pickup else ""),
                    # The shipment's charge goes with its first part when allocation splits it.
                    shipping_amount=shipment.shipping_price if warehouse_id == min(allocation) else Decimal("0.00"),
                    status=status,
                )
            )
            taken_by_shipment.append(taken)
    Shipment.objects.bulk_create(shipments)
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                shipment=row, order_line=lines[index], quantity=quantity, reserved_quantity=quantity - backordered
            )
            for row, taken in zip(shipments, taken_by_shipment, strict=True)
            for index, (quantity, backordered) in sorted(taken.items())
        ]
    )


def _decide(order: Order, actor) -> OrderEvent:
    """Ready to fulfil, or on hold until payment or credit allows it; returns the event to record."""
    hold = hold_needed(order)
    if hold:
        order.status, order.hold_reason = OrderStatus.ON_HOLD, hold
        message = f"On hold: {HoldReason(hold).label}"
        return _event(order, "hold", message, actor, old=OrderStatus.PLACED, new=OrderStatus.ON_HOLD)
    order.status = OrderStatus.READY
    return _event(order, "status", "Ready to fulfil", actor, old=OrderStatus.PLACED, new=OrderStatus.READY)


def hold_needed(order: Order) -> str | None:
    """The hold an order needs before it may be fulfilled, if any: unpaid prepayment, or an on-account
    order that takes the customer past their credit limit."""
    if order.payment_method == PaymentMethod.PREPAID and order.payment_status not in (
        PaymentStatus.PAID,
        PaymentStatus.AUTHORISED,
    ):
        return HoldReason.PAYMENT_PENDING
    # The open balance counts this order too: it is saved (unpaid) before its hold is decided.
    if (
        order.payment_method == PaymentMethod.ACCOUNT
        and customer_open_balance(customer_id=order.customer_id) > order.customer.credit_limit_amount
    ):
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


def _who(actor, placed_via: str = "") -> str:
    if actor is None or not getattr(actor, "pk", None):
        return placed_via or "the system"
    return actor.get_full_name() or actor.get_username()


def _event(order: Order, kind: str, message: str, actor, *, old=None, new=None) -> OrderEvent:
    """An event to record (unsaved: order_place writes its events in one statement)."""
    return OrderEvent(
        order=order,
        kind=kind,
        message=message[:300],
        old_value=old,
        new_value=new,
        actor=actor if getattr(actor, "pk", None) else None,
    )
