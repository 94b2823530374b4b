"""Reads behind the order pages: the order list (filters, search, keyset pages), one order with
everything its page shows and the actions its state allows, and what the order entry screen shows
while the clerk types (availability per warehouse and the pricing engine's live totals)."""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from crm.models import Customer
from inventory.models import KitComponent, Product, StockLevel, Warehouse
from orders.models import Order, OrderEvent, OrderLine, Payment, Shipment, ShipmentLine
from orders.states import ALLOWED_TRANSITIONS, OrderStatus, PaymentStatus
from pricing import selectors as pricing_selectors
from pricing.engine import Cart, CartLine, PricedCart

ORDER_PAGE_SIZE = 50
# "SO-2026-000" and longer: at most a thousand orders share the prefix, so it is worth looking up.
NUMBER_PREFIX_MIN = len("SO-2026-000")

# --- the order list -------------------------------------------------------------------------------


@dataclass
class OrderPage:
    orders: list[Order]
    # The id of the page's last order when older ones follow: the `before` of the next page.
    next_before: int | None


LIST_COLUMNS = (
    "id",
    "number",
    "channel",
    "external_id",
    "customer_id",
    "customer_name",
    "email",
    "status",
    "hold_reason",
    "payment_method",
    "payment_status",
    "currency",
    "total_amount",
    "placed_at",
)


def order_list(
    *,
    query: str = "",
    status: str = "",
    channel: str = "",
    placed_from: date | None = None,
    placed_to: date | None = None,
    warehouse_id: int | None = None,
    hold_reason: str = "",
    payment_status: str = "",
    customer_id: int | None = None,
    before: int | None = None,
    limit: int = ORDER_PAGE_SIZE,
) -> OrderPage:
    """One page of orders, newest first, each with its shipments and their warehouses
    (`listed_shipments`).

    Keyset pagination on -id (`before` is the previous page's `next_before`): no OFFSET and no count
    of the whole table, so a deep page costs what the first one does. The dates are the days the
    orders were placed, both included, in the shop's time zone. The query searches the number, the
    customer's name, the e-mail address and the channel's external id. The number of queries does not
    depend on the page size: the orders and their shipments, plus one for a search (its ids) and one
    for dates (the range of ids they cover).
    """
    orders = Order.objects.all()
    for name, value in (
        ("status", status),
        ("channel", channel),
        ("hold_reason", hold_reason),
        ("payment_status", payment_status),
        ("customer_id", customer_id),
    ):
        # Each has an index on (column, id DESC), which gives its rows already in page order.
        if value not in ("", None):
            orders = orders.filter(**{name: value})
    if placed_from or placed_to:
        orders = _placed_between(orders, placed_from, placed_to)
        if orders is None:
            return OrderPage(orders=[], next_before=None)
    if warehouse_id is not None:
        orders = _shipped_from(orders, warehouse_id)
    if before is not None:
        orders = orders.filter(pk__lt=before)
    if query.strip():
        orders = Order.objects.filter(pk__in=_search_page_ids(orders, query, limit + 1))
    page = list(
        orders.only(*LIST_COLUMNS)
        .prefetch_related(Prefetch("shipments", queryset=_list_shipments(), to_attr="listed_shipments"))
        .order_by("-id")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return OrderPage(orders=page, next_before=page[-1].pk if more else None)


# The page is read by walking the primary key from the newest order down, testing each row against the
# filters. That is quick while matches are common among recent orders, and slow when they cluster
# further back (last March's orders: the walk would pass every order since). Filters that can cluster
# therefore also bound the ids with the lowest and highest id among their matches, read from an index
# that holds both; the walk then starts at the first match and stops after the last. The bounds are
# exact whatever order ids and dates were given in, so no matching order is ever left out.


def _placed_between(orders: QuerySet[Order], start: date | None, end: date | None) -> QuerySet[Order] | None:
    """`orders` placed between the two days (both included), or None when no order was."""
    in_range = Q()
    if start:
        in_range &= Q(placed_at__gte=_start_of(start))
    if end:
        in_range &= Q(placed_at__lt=_start_of(end + timedelta(days=1)))
    # One index-only scan of order_placed_id (placed_at, id) gives both bounds. The "+ 0" keeps
    # PostgreSQL from answering MIN(id) by walking the primary key: the very walk this avoids.
    bounds = Order.objects.filter(in_range).aggregate(low=Min(F("id") + 0), high=Max(F("id") + 0))
    if bounds["low"] is None:
        return None
    return orders.filter(in_range, pk__range=(bounds["low"], bounds["high"]))


def _shipped_from(orders: QuerySet[Order], warehouse_id: int) -> QuerySet[Order]:
    shipments = Shipment.objects.filter(warehouse_id=warehouse_id)
    # Index shipment_warehouse_order on (warehouse, order): each bound is one probe of it.
    first = shipments.order_by("order_id").values("order_id")[:1]
    last = shipments.order_by("-order_id").values("order_id")[:1]
    return orders.filter(
        Exists(shipments.filter(order=OuterRef("pk"))), pk__gte=Subquery(first), pk__lte=Subquery(last)
    )


def _search_page_ids(orders: QuerySet[Order], text: str, size: int) -> list[int]:
    """The ids of the newest `size` orders of `orders` that match the search `text`.

    Each alternative is a query of its own on its own index: the number (exact, or its prefix once
    typed far enough to be specific), the external id (exact), the e-mail address's prefix (stored in
    lower case) and the words of the customer's name (the last one as a prefix, as it is typed). Each
    gives its newest `size` ids and the page is the newest `size` of those. Walking the orders and
    testing each instead would compute to_tsvector(customer_name) for every row passed: a second for a
    name that matches no order among 1,000,000.
    """
    text = " ".join(text.split())[:100]
    upper = text.upper()
    alternatives = [Q(number=upper), Q(external_id=text)]
    if len(upper) >= NUMBER_PREFIX_MIN:
        alternatives.append(Q(number__startswith=upper))
    if text.isdigit() and len(text) <= 6:
        # "Order 1234" on the phone: this year's and last year's order of that number.
        year = timezone.localdate().year
        alternatives.append(Q(number__in=[f"SO-{y}-{int(text):06d}" for y in (year, year - 1)]))
    if " " not in text and len(text) >= 3:
        alternatives.append(Q(email__startswith=text.lower()))
    # Only letters and digits reach to_tsquery: its syntax characters (& | ! : ' ( ) <->) in raw input
    # would be a syntax error or change the meaning.
    words = re.findall(r"[^\W_]+", text.lower())[:8]
    if words:
        terms = [f"'{word}'" for word in words]
        # A one-letter prefix matches most names and helps nobody.
        if len(words[-1]) > 1:
            terms[-1] += ":*"
        alternatives.append(Q(name_search=SearchQuery(" & ".join(terms), search_type="raw", config="simple")))
    named = orders.alias(name_search=SearchVector("customer_name", config="simple"))
    # DESC NULLS LAST is an order the primary key's index cannot give (ids are never null, so it is the
    # same order): each alternative then sorts its matches instead of walking the orders from the newest.
    newest = F("id").desc(nulls_last=True)
    parts = [named.filter(q).order_by(newest).values_list("id", flat=True)[:size] for q in alternatives]
    return list(parts[0].union(*parts[1:]).order_by("-id")[:size])


def _list_shipments() -> QuerySet[Shipment]:
    return (
        Shipment.objects.select_related("warehouse")
        .only("id", "order_id", "position", "is_pickup", "status", "warehouse__code", "warehouse__name")
        .order_by("position")
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def warehouse_choices() -> QuerySet[Warehouse]:
    """Every warehouse, for the list's filter (an inactive one still has its past orders)."""
    return Warehouse.objects.order_by("code").only("id", "code", "name")


# --- one order ------------------------------------------------------------------------------------


def order_get(*, number: str) -> Order | None:
    """One order by its number, with its customer, creator, lines, shipments (warehouse, lines),
    payments and timeline (with their actors): six queries. Adds `paid_amount` (captured so far)
    and `due_amount` (what is left to pay)."""
    shipment_lines = ShipmentLine.objects.select_related("order_line").order_by("order_line__position", "id")
    order = (
        Order.objects.select_related("customer", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position")),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("warehouse")
                .prefetch_related(Prefetch("lines", queryset=shipment_lines))
                .order_by("position"),
            ),
            Prefetch("payments", queryset=Payment.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
        .filter(number=number.strip().upper())
        .first()
    )
    if order is not None:
        order.paid_amount = sum(
            (p.amount for p in order.payments.all() if p.kind == Payment.Kind.CAPTURE), Decimal("0.00")
        )
        order.due_amount = max(order.total_amount - order.paid_amount, Decimal("0.00"))
    return order


@dataclass(frozen=True)
class OrderActions:
    """The buttons an order's page shows: what its state allows and the user may do."""

    hold: bool
    release: bool
    record_payment: bool
    cancel: bool

    @property
    def any(self) -> bool:
        return self.hold or self.release or self.record_payment or self.cancel


def order_actions(*, order: Order, user) -> OrderActions:
    """The transitions order.status allows (orders.states.ALLOWED_TRANSITIONS), offered to a user who
    may make them: orders.change_order to hold, release and cancel, orders.add_payment for payments."""
    allowed = ALLOWED_TRANSITIONS[order.status]
    may_change = user.has_perm("orders.change_order")
    return OrderActions(
        hold=may_change and OrderStatus.ON_HOLD in allowed,
        release=may_change and order.status == OrderStatus.ON_HOLD and OrderStatus.READY in allowed,
        # Money may arrive for any order that is not cancelled, until it is paid in full.
        record_payment=user.has_perm("orders.add_payment")
        and order.status != OrderStatus.CANCELLED
        and order.payment_status in (PaymentStatus.UNPAID, PaymentStatus.AUTHORISED),
        cancel=may_change and OrderStatus.CANCELLED in allowed,
    )


# --- the order entry screen -----------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLineInput:
    """One line as typed: a SKU and its quantity (all shipments together)."""

    sku: str
    quantity: int
    allow_backorder: bool = False


@dataclass
class QuoteLine:
    sku: str
    quantity: int
    allow_backorder: bool
    product: Product | None
    # Available now in each warehouse of EntryQuote.warehouses, in that order (a kit: how many whole
    # kits its components make).
    stock: list[int]

    @property
    def available(self) -> int:
        return sum(max(units, 0) for units in self.stock)

    @property
    def short_by(self) -> int:
        return max(self.quantity - self.available, 0)


@dataclass
class EntryQuote:
    warehouses: list[Warehouse]
    lines: list[QuoteLine]
    # The pricing engine's result for the lines that name a product and a quantity (None without any).
    priced: PricedCart | None

    def line(self, sku: str) -> QuoteLine | None:
        return next((line for line in self.lines if line.sku.upper() == sku.upper()), None)

    @property
    def shortages(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.product and line.short_by]


def order_entry_quote(
    *,
    lines: Sequence[QuoteLineInput],
    customer: Customer | None = None,
    channel: str,
    coupon_codes: Sequence[str] = (),
    shipping_price: Decimal = Decimal("0.00"),
    shipping_method: str = "",
    at: datetime | None = None,
) -> EntryQuote:
    """What the order entry screen shows beside what was typed: each line's product and its stock per
    active warehouse, and the order priced by the pricing engine exactly as order_place will price it
    (the customer's tier, the channel, the coupons, the shipping). Reads only; a fixed number of
    queries whatever the number of lines (products, warehouses, stock levels, kit components, and the
    pricing catalog's)."""
    found = pricing_selectors.products_by_sku(skus=[line.sku for line in lines])
    products = {sku: product for sku, product in found.items() if product.is_active}
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    stock = _stock(list(products.values()), [w.pk for w in warehouses])
    quoted = []
    for line in lines:
        product = products.get(line.sku.strip().upper())
        units = stock.get(product.pk, {}) if product else {}
        quoted.append(
            QuoteLine(
                sku=product.sku if product else line.sku,
                quantity=line.quantity,
                allow_backorder=line.allow_backorder,
                product=product,
                stock=[units.get(w.pk, 0) for w in warehouses],
            )
        )
    priced = None
    cart_lines = tuple(CartLine(line.product.pk, line.quantity) for line in quoted if line.product and line.quantity)
    if cart_lines:
        priced = pricing_selectors.cart_price(
            cart=Cart(
                lines=cart_lines,
                at=at or timezone.now(),
                channel=channel,
                customer_id=customer.pk if customer else None,
                tier_id=customer.tier_id if customer else None,
                coupon_codes=tuple(coupon_codes),
                shipping_price=shipping_price,
                shipping_method=shipping_method,
            )
        )
    return EntryQuote(warehouses=warehouses, lines=quoted, priced=priced)


def _stock(products: list[Product], warehouse_ids: list[int]) -> dict[int, dict[int, int]]:
    """Available units per product and warehouse; a kit's are the whole kits its components make."""
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    kits = [p.pk for p in products if p.is_kit]
    if kits:
        for kit_id, component_id, quantity in KitComponent.objects.filter(kit_id__in=kits).values_list(
            "kit_id", "component_id", "quantity"
        ):
            components[kit_id].append((component_id, quantity))
    wanted = {p.pk for p in products if not p.is_kit} | {c for parts in components.values() for c, _ in parts}
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    if wanted and warehouse_ids:
        for product_id, warehouse_id, available in StockLevel.objects.filter(
            product_id__in=wanted, warehouse_id__in=warehouse_ids
        ).values_list("product_id", "warehouse_id", "available"):
            levels[product_id][warehouse_id] = available
    stock: dict[int, dict[int, int]] = {}
    for product in products:
        if product.is_kit:
            parts = components.get(product.pk, [])
            stock[product.pk] = {
                w: min((max(levels[c].get(w, 0), 0) // q for c, q in parts), default=0) for w in warehouse_ids
            }
        else:
            stock[product.pk] = levels.get(product.pk, {})
    return stock
