"""Reads behind the order pages: the order list (filters, search, keyset pages), one order with
everything its page shows and the actions its state allows, and what the order entry screen shows
while the clerk types (availability per warehouse and the pricing engine's live totals)."""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from crm.models import Customer
from inventory.models import KitComponent, Product, StockLevel, Warehouse
from orders.models import (
    CreditNote,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    ReturnAuthorisation,
    ReturnLine,
    Shipment,
    ShipmentLine,
)
from orders.states import (
    ALLOWED_TRANSITIONS,
    EDITABLE,
    RETURNABLE,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ReturnStatus,
    ShipmentStatus,
)
from pricing import selectors as pricing_selectors
from pricing.engine import Cart, CartLine, PricedCart, price_cart

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
    depend on the page size: the orders and their shipments, plus one for dates (the range of ids they
    cover) and one for a search (its ids), with one more for a one-word search on a first page without
    dates (the newest id, where its windows start).
    """
    orders = Order.objects.all()
    for name, value in (
        ("status", status),
        ("channel", channel),
        ("hold_reason", hold_reason),
        ("payment_status", payment_status),
        ("customer_id", customer_id),
    ):
        # Each has an index led by the column and ending in id, and status, channel and payment state
        # pairwise too (see Order.Meta): two of them together are one range of an index, so a
        # combination nobody has (walk-in orders unpaid) is found empty without walking the orders.
        # The statistics object order_list_filters tells the planner how the columns go together.
        if value not in ("", None):
            orders = orders.filter(**{name: value})
    bounds = _IdBounds(high=before - 1 if before is not None else None)
    if placed_from or placed_to:
        placed = _placed_between(placed_from, placed_to)
        if placed is None or not bounds.narrow(placed):
            return OrderPage(orders=[], next_before=None)
        # Tested on each order within the bounds. Adding nothing to placed_at keeps the planner off its
        # index here: walking that would test every order of those days against the other filters.
        orders = orders.alias(placed=F("placed_at") + timedelta(0)).filter(_placed_on(placed_from, placed_to, "placed"))
    if warehouse_id is not None:
        # A semi-join the planner may drive from either side: the warehouse's shipments newest order
        # first (index shipment_warehouse_order), or the orders a rarer filter picks. The shipments get
        # the bounds too, so that a deep page's walk starts at its first order, not at the newest one.
        shipments = Shipment.objects.filter(warehouse_id=warehouse_id, **_in_bounds("order_id", bounds))
        orders = orders.filter(pk__in=shipments.values("order_id"))
    orders = orders.filter(**_in_bounds("pk", bounds))
    if query.strip():
        orders = Order.objects.filter(pk__in=_search_page_ids(orders, query, limit + 1, bounds))
    page = list(
        orders.only(*LIST_COLUMNS)
        .prefetch_related(Prefetch("shipments", queryset=_list_shipments(), to_attr="listed_shipments"))
        .order_by("-id")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return OrderPage(orders=page, next_before=page[-1].pk if more else None)


@dataclass
class _IdBounds:
    """The range of ids a page may come from, both included (None: open)."""

    low: int | None = None
    high: int | None = None

    def narrow(self, other: "_IdBounds") -> bool:
        """Keep only what both ranges hold; False when that is nothing."""
        if other.low is not None:
            self.low = other.low if self.low is None else max(self.low, other.low)
        if other.high is not None:
            self.high = other.high if self.high is None else min(self.high, other.high)
        return self.low is None or self.high is None or self.low <= self.high


def _in_bounds(field: str, bounds: _IdBounds) -> dict:
    limits = {}
    if bounds.low is not None:
        limits[f"{field}__gte"] = bounds.low
    if bounds.high is not None:
        limits[f"{field}__lte"] = bounds.high
    return limits


# Orders placed on given days are read between the lowest and the highest id among them. Walking the
# primary key from the newest order down is quick while matches are common among recent orders, and
# slow when they are further back (last March's orders: the walk would pass every order since); with
# the bounds it starts at the first match and stops after the last. The bounds come from index
# order_placed_day on (the UTC day of placed_at, id): its first and last id of each day in the range,
# two probes a day, however many orders the days hold (a year's minimum and maximum read from the
# orders themselves would take a scan of a third of a million index entries). Whole UTC days may hold
# a few hours of orders from either side of the range, which the placed_at test then leaves out; no
# order of the range is ever outside them, whatever order ids and dates were given in. They are
# constants when the page's query is planned, so the planner knows how many orders they hold.

# The first order of each day (for the low bound) and the last (for the high one), over the days given;
# a range open at one end needs only the other bound.
_FIRST_OF_DAY = """
CROSS JOIN LATERAL (
    SELECT id FROM orders_order WHERE (placed_at AT TIME ZONE 'UTC')::date = bucket.day::date ORDER BY id LIMIT 1
) AS first_of_day
"""
_LAST_OF_DAY = """
CROSS JOIN LATERAL (
    SELECT id FROM orders_order WHERE (placed_at AT TIME ZONE 'UTC')::date = bucket.day::date
    ORDER BY id DESC LIMIT 1
) AS last_of_day
"""
_DAYS = """
FROM generate_series(
    coalesce(%s, (SELECT (placed_at AT TIME ZONE 'UTC')::date FROM orders_order
                  WHERE placed_at IS NOT NULL ORDER BY 1 LIMIT 1)),
    coalesce(%s, (SELECT (placed_at AT TIME ZONE 'UTC')::date FROM orders_order
                  WHERE placed_at IS NOT NULL ORDER BY 1 DESC LIMIT 1)),
    interval '1 day'
) AS bucket(day)
"""


def _placed_on(start: date | None, end: date | None, field: str = "placed_at") -> Q:
    """Placed between the two days, both included."""
    in_range = Q()
    if start:
        in_range &= Q(**{f"{field}__gte": _start_of(start)})
    if end:
        in_range &= Q(**{f"{field}__lt": _start_of(end + timedelta(days=1))})
    return in_range


def _placed_between(start: date | None, end: date | None) -> _IdBounds | None:
    """Bounds of the ids of the orders placed between the two days (both included), from the UTC days
    that cover them; None when no order was placed on those UTC days. Without a first day there is no
    low bound to find (the page may go down to the oldest order), without a last day no high one (it
    starts at the newest)."""
    first = _start_of(start).astimezone(UTC).date() if start else None
    last = (_start_of(end + timedelta(days=1)) - timedelta(microseconds=1)).astimezone(UTC).date() if end else None
    low = "min(first_of_day.id)" if start else "NULL::bigint"
    high = "max(last_of_day.id)" if end else "NULL::bigint"
    joins = (_FIRST_OF_DAY if start else "") + (_LAST_OF_DAY if end else "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {low}, {high}, count(*) {_DAYS} {joins}", [first, last])
        low_id, high_id, days = cursor.fetchone()
    if not days:
        return None
    return _IdBounds(low=low_id, high=high_id)


# A one-word name is searched in windows of ids, newest first: the newest NAME_WINDOW ids, then all
# older ones, the second only when the first does not fill the page. A common name ("smith": one order
# in a hundred) fills a page from the first window, reading only the rows there; without the window
# every order with the name would be read, to keep the newest fifty. Words together ("ann lee") match
# few orders, so they are looked up in one go: a second window would mean a second index scan.
NAME_WINDOW = 100_000
NAME_PREFIX_MIN = 3


def _search_page_ids(orders: QuerySet[Order], text: str, size: int, bounds: _IdBounds) -> list[int]:
    """The ids of the newest `size` orders of `orders` that match the search `text`.

    Each alternative is a query of its own on its own index: the number (exact, or its prefix once
    typed far enough to be specific), the external id (exact), the e-mail address's prefix (stored in
    lower case) and the words of the customer's name (the last one as a prefix, as it is typed). Each
    gives its newest `size` ids and the page is the newest `size` of those, in one statement. Walking
    the orders and testing each instead would compute to_tsvector(customer_name) for every row passed:
    a second for a name that matches no order among 1,000,000.
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
        # Index order_email_prefix holds the id too: the prefix's matches are read from the index alone.
        alternatives.append(Q(email__startswith=text.lower()))
    # DESC NULLS LAST is an order the primary key's index cannot give (ids are never null, so it is the
    # same order): each alternative then sorts its matches instead of walking the orders from the newest.
    newest = F("id").desc(nulls_last=True)
    parts = [_sql(orders.filter(q).order_by(newest).values_list("id", flat=True)[:size]) for q in alternatives]
    words = _words(text)
    if words:
        named = orders.alias(name_search=SearchVector("customer_name", config="simple")).filter(
            name_search=_name_query(words)
        )
        windows = [
            _sql(named.filter(window).order_by(newest).values_list("id", flat=True)[:size])
            for window in (_windows(bounds) if len(words) == 1 else [Q()])
        ]
        # The windows' UNION ALL under a LIMIT: PostgreSQL runs a window only while the page is not full.
        chained = " UNION ALL ".join(f"({sql})" for sql, _ in windows)
        parts.append((f"SELECT id FROM ({chained}) AS named LIMIT %s", [*_params(windows), size]))
    union = " UNION ".join(f"({sql})" for sql, _ in parts)
    with connection.cursor() as cursor:
        cursor.execute(f"{union} ORDER BY 1 DESC LIMIT %s", [*_params(parts), size])
        return [row[0] for row in cursor.fetchall()]


def _words(text: str) -> list[str]:
    # Only letters and digits reach to_tsquery: its syntax characters (& | ! : ' ( ) <->) in raw input
    # would be a syntax error or change the meaning.
    return re.findall(r"[^\W_]+", text.lower())[:8]


def _name_query(words: list[str]) -> SearchQuery:
    terms = [f"'{word}'" for word in words]
    # A prefix of one or two letters matches a large share of all names (every Ma..., Ol...) and helps
    # nobody; it would cost the index a look at each of those names' orders. Such a word must be whole.
    if len(words[-1]) >= NAME_PREFIX_MIN:
        terms[-1] += ":*"
    return SearchQuery(" & ".join(terms), search_type="raw", config="simple")


def _windows(bounds: _IdBounds) -> list[Q]:
    """The id ranges a one-word name is searched in, newest first (NAME_WINDOW)."""
    high = bounds.high
    if high is None:
        high = Order.objects.aggregate(newest=Max("id"))["newest"] or 0
    newest = high - NAME_WINDOW + 1
    if bounds.low is not None and newest <= bounds.low:
        return [Q()]
    return [Q(pk__gte=newest), Q(pk__lt=newest)]


def _sql(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    return sql, list(params)


def _params(parts: list[tuple[str, list]]) -> list:
    return [param for _, params in parts for param in params]


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
    """The buttons an order's page shows: what its state allows and the user may do. A new action is
    one more field (and its button on the page): `any` covers every field."""

    edit: bool
    hold: bool
    release: bool
    record_payment: bool
    cancel: bool
    # Send shipments that are ready (and mark shipped ones delivered).
    ship: bool
    # Authorise a return of shipped units.
    start_return: bool

    @property
    def any(self) -> bool:
        return any(getattr(self, action.name) for action in fields(self))


def order_actions(*, order: Order, user) -> OrderActions:
    """The transitions order.status allows (orders.states.ALLOWED_TRANSITIONS), offered to a user who
    may make them: orders.change_order to edit (while the status is in EDITABLE), hold, release and
    cancel, orders.add_payment for payments, orders.change_shipment to ship, and
    orders.add_returnauthorisation for returns once something has shipped."""
    allowed = ALLOWED_TRANSITIONS[order.status]
    may_change = user.has_perm("orders.change_order")
    return OrderActions(
        edit=may_change and order.status in EDITABLE,
        hold=may_change and OrderStatus.ON_HOLD in allowed,
        release=may_change and order.status == OrderStatus.ON_HOLD and OrderStatus.READY in allowed,
        # Money may arrive for any order that is not cancelled, until it is paid in full.
        record_payment=user.has_perm("orders.add_payment")
        and order.status != OrderStatus.CANCELLED
        and order.payment_status in (PaymentStatus.UNPAID, PaymentStatus.AUTHORISED, PaymentStatus.COLLECTED),
        cancel=may_change and OrderStatus.CANCELLED in allowed,
        ship=user.has_perm("orders.change_shipment")
        and order.status in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED),
        start_return=user.has_perm("orders.add_returnauthorisation") and order.status in RETURNABLE,
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
    order_id: int | None = None,
) -> EntryQuote:
    """What the order entry screen shows beside what was typed: each line's product and its stock per
    active warehouse, and the order priced by the pricing engine exactly as order_place will price it
    (the customer's tier, the channel, the coupons, the shipping). Reads only; a fixed number of
    queries whatever the number of lines (products, warehouses, stock levels, kit components, and the
    pricing catalog's).

    `order_id` names a placed order being changed, priced and allocated as order_edit will: what it
    holds reserved counts as available to it, and its own coupon uses do not count against the
    coupons' limits."""
    found = pricing_selectors.products_by_sku(skus=[line.sku for line in lines])
    products = {sku: product for sku, product in found.items() if product.is_active}
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    own = _reserved_for(order_id) if order_id else {}
    stock = _stock(list(products.values()), [w.pk for w in warehouses], own)
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
        cart = Cart(
            lines=cart_lines,
            at=at or timezone.now(),
            channel=channel,
            customer_id=customer.pk if customer else None,
            tier_id=customer.tier_id if customer else None,
            coupon_codes=tuple(coupon_codes),
            shipping_price=shipping_price,
            shipping_method=shipping_method,
        )
        catalog = pricing_selectors.pricing_catalog(
            product_ids={line.product_id for line in cart.lines},
            at=cart.at,
            coupon_codes=cart.coupon_codes,
            customer_id=cart.customer_id,
            # The source order_edit redeems coupons under (orders.services.placement.SOURCE).
            redeemed_by=(Order._meta.label_lower, str(order_id)) if order_id else None,
        )
        priced = price_cart(cart, catalog)
    return EntryQuote(warehouses=warehouses, lines=quoted, priced=priced)


def _reserved_for(order_id: int) -> dict[tuple[int, int], int]:
    """Units reserved for an order per (warehouse, stocked product): a kit line's as its components."""
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    rows = ShipmentLine.objects.filter(shipment__order_id=order_id, reserved_quantity__gt=0).values_list(
        "shipment__warehouse_id", "order_line__product_id", "reserved_quantity"
    )
    for warehouse_id, product_id, units in rows:
        reserved[(warehouse_id, product_id)] += units
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if reserved:
        for kit_id, component_id, quantity in KitComponent.objects.filter(
            kit_id__in={product for _, product in reserved}
        ).values_list("kit_id", "component_id", "quantity"):
            parts[kit_id].append((component_id, quantity))
    result: dict[tuple[int, int], int] = defaultdict(int)
    for (warehouse_id, product_id), units in reserved.items():
        for part, per_kit in parts.get(product_id, [(product_id, 1)]):
            result[(warehouse_id, part)] += units * per_kit
    return dict(result)


def _stock(
    products: list[Product], warehouse_ids: list[int], own: dict[tuple[int, int], int] | None = None
) -> dict[int, dict[int, int]]:
    """Available units per product and warehouse; a kit's are the whole kits its components make.
    `own` ({(warehouse, stocked product): units}) are reserved for the order being changed: available
    to it again."""
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    kits = [p.pk for p in products if p.is_kit]
    if kits:
        for kit_id, component_id, quantity in KitComponent.objects.filter(kit_id__in=kits).values_list(
            "kit_id", "component_id", "quantity"
        ):
            components[kit_id].append((component_id, quantity))
    wanted = {p.pk for p in products if not p.is_kit} | {c for parts in components.values() for c, _ in parts}
    own = own or {}
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    if wanted and warehouse_ids:
        for product_id, warehouse_id, available in StockLevel.objects.filter(
            product_id__in=wanted, warehouse_id__in=warehouse_ids
        ).values_list("product_id", "warehouse_id", "available"):
            levels[product_id][warehouse_id] = available + own.get((warehouse_id, product_id), 0)
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


# --- returns --------------------------------------------------------------------------------------


def returnable_quantities(order: Order) -> dict[int, int]:
    """Per shipment line of the order's shipped shipments: how many units may still be returned
    (shipped, less those of returns authorised and not yet in, or received)."""
    shipped = ShipmentLine.objects.filter(
        shipment__order=order, shipment__status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
    ).values_list("pk", "quantity")
    taken: dict[int, int] = defaultdict(int)
    for line_id, status, quantity, received in ReturnLine.objects.filter(
        rma__order=order, rma__status__in=(ReturnStatus.AUTHORISED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
    ).values_list("shipment_line_id", "rma__status", "quantity", "received_quantity"):
        taken[line_id] += quantity if status == ReturnStatus.AUTHORISED else received
    return {line_id: quantity - taken[line_id] for line_id, quantity in shipped}


def returnable_rows(*, order: Order) -> list[ShipmentLine]:
    """The order's shipped lines that may still come back, each with `returnable` (units)."""
    open_ = {line_id: left for line_id, left in returnable_quantities(order).items() if left > 0}
    rows = list(
        ShipmentLine.objects.filter(pk__in=open_)
        .select_related("order_line", "shipment")
        .order_by("shipment__position", "order_line__position")
    )
    for row in rows:
        row.returnable = open_[row.pk]
    return rows


def return_get(*, number: str) -> ReturnAuthorisation | None:
    """One return by its number, with its order, warehouse and lines (their products and bins)."""
    return (
        ReturnAuthorisation.objects.select_related("order", "warehouse", "created_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related(
                    "shipment_line__order_line", "shipment_line__shipment", "bin"
                ),
            )
        )
        .filter(number=number.strip().upper())
        .first()
    )


def order_returns(*, order: Order) -> list[ReturnAuthorisation]:
    """The order's returns, newest first, with their lines."""
    return list(
        ReturnAuthorisation.objects.filter(order=order).prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("shipment_line__order_line"))
        )
    )


def shipment_get(*, number: str, position: int) -> Shipment | None:
    """One shipment of an order, by the order's number and the shipment's position."""
    return (
        Shipment.objects.select_related("order").filter(order__number=number.strip().upper(), position=position).first()
    )


def customer_open_balance(*, customer_id: int) -> Decimal:
    """What the customer owes on account: their on-account orders' totals (cancelled ones aside) less
    what was paid and credited on each. This is what their credit limit is measured against."""
    captured = (
        Payment.objects.filter(order=OuterRef("pk"), kind=Payment.Kind.CAPTURE)
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    credited = (
        CreditNote.objects.filter(order=OuterRef("pk")).values("order").annotate(total=Sum("amount")).values("total")
    )
    zero = Value(Decimal("0.00"))
    owed = (
        Order.objects.filter(customer_id=customer_id, payment_method=PaymentMethod.ACCOUNT)
        .exclude(status=OrderStatus.CANCELLED)
        .exclude(payment_status__in=(PaymentStatus.PAID, PaymentStatus.REFUNDED))
        .annotate(
            left=Greatest(
                F("total_amount") - Coalesce(Subquery(captured), zero) - Coalesce(Subquery(credited), zero), zero
            )
        )
        .aggregate(total=Sum("left"))["total"]
    )
    return owed or Decimal("0.00")
