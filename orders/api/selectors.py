"""Reads for the API: an order with everything its representation shows, stock pages, a customer by
e-mail address. A fixed number of queries each, whatever the size of the order or the page (the stock
feed takes another round of two only when a batch of changes held too few SKUs to fill its page)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Greatest, Lower, Upper

from crm.models import Customer
from inventory.models import KitComponent, Product, StockLevel, Warehouse
from orders.models import Order, OrderLine, Shipment, ShipmentLine


def order_get(*, number: str) -> Order | None:
    """The order with its lines and its shipments (each with warehouse and lines): four queries."""
    shipments = Shipment.objects.select_related("warehouse").order_by("position")
    shipment_lines = ShipmentLine.objects.select_related("order_line").order_by("order_line__position")
    return (
        Order.objects.filter(number=number)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position")),
            Prefetch("shipments", queryset=shipments),
            Prefetch("shipments__lines", queryset=shipment_lines),
        )
        .first()
    )


def customer_id_for_email(*, email: str) -> int | None:
    """The active customer with this (normalised) e-mail address, if there is one."""
    # crm stores addresses in lower case under a unique index on Lower("email"): one index lookup.
    return (
        Customer.objects.annotate(email_key=Lower("email"))
        .filter(email_key=email, is_active=True)
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class WarehouseStock:
    code: str
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class SkuStock:
    sku: str
    is_active: bool
    updated_at: datetime
    warehouses: list[WarehouseStock]

    @property
    def available(self) -> int:
        return sum(w.available for w in self.warehouses)


@dataclass(frozen=True)
class StockPage:
    items: list[SkuStock]
    # Where the next page starts when more follow: the last SKU listed, or in the stock feed a cursor.
    next_after: str | None
    unknown_skus: list[str]


def stock_for_skus(*, skus: list[str]) -> StockPage:
    """Stock of the given SKUs (compared without regard to case), active or not, in SKU order."""
    wanted = {sku.upper(): sku for sku in skus}
    products = list(Product.objects.annotate(sku_key=Upper("sku")).filter(sku_key__in=list(wanted)).order_by("sku_key"))
    found = {product.sku_key for product in products}
    unknown = [sku for key, sku in wanted.items() if key not in found]
    return StockPage(items=_with_stock(products), next_after=None, unknown_skus=unknown)


def stock_list(*, after: str = "", limit: int) -> StockPage:
    """Active SKUs in SKU order after `after`, `limit` at a time (keyset on the SKU's unique index)."""
    products = Product.objects.annotate(sku_key=Upper("sku")).filter(is_active=True)
    if after:
        products = products.filter(sku_key__gt=after.upper())
    page = list(products.order_by("sku_key")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return StockPage(items=_with_stock(page), next_after=page[-1].sku if more else None, unknown_skus=[])


# --- incremental sync: the feed of stock changes ---------------------------------------------------

# A position in the feed: (time of a SKU's latest change, product id). Before the first page it is
# (updated_since, the largest id), so that the feed starts strictly after updated_since.
ChangeCursor = tuple[datetime, int]
_LAST_ID = 2**63 - 1
# Rows read per SKU wanted: most SKUs' latest change is one of a few rows changed together (the product
# and its levels in each warehouse). At most CHANGE_ROUNDS batches a request, so that a long run of rows
# whose SKUs changed again later never holds one request up.
CHANGE_BATCH_PER_SKU = 2
CHANGE_ROUNDS = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def change_cursor_format(cursor: ChangeCursor) -> str:
    """A cursor as `after` carries it in the `next` URL: microseconds since 1970 and the product id."""
    at, product_id = cursor
    return f"{(at - _EPOCH) // timedelta(microseconds=1)}_{product_id}"


def change_cursor_parse(text: str) -> ChangeCursor | None:
    """The cursor `change_cursor_format` wrote, or None when `text` is not one."""
    micros, _, product_id = text.partition("_")
    if not (micros.isascii() and micros.isdigit() and product_id.isascii() and product_id.isdigit()):
        return None
    if len(micros) > 17 or len(product_id) > 19 or int(product_id) > _LAST_ID:
        return None
    return _EPOCH + timedelta(microseconds=int(micros)), int(product_id)


def stock_changes(*, since: datetime, after: ChangeCursor | None = None, limit: int) -> StockPage:
    """SKUs whose product, stock level or (for a kit) a component's stock level changed after `since`,
    up to `limit` at a time, in the order of their latest change (time, then product id); inactive SKUs
    only if they changed themselves since (deactivated: the storefront must learn that they are gone).

    Keyset paging over the change times, each page a few index range scans whatever the size of the
    catalogue: a SKU is listed at its latest change, so one that changes again while a client pages
    through moves ahead of the cursor and comes again later; none is skipped. Rows whose SKU changed
    again later are passed over; a request reads at most CHANGE_ROUNDS batches of them, so a page may
    hold fewer SKUs than `limit` (even none) and still have a next one.
    """
    cursor = after or (since, _LAST_ID)
    found: dict[int, datetime] = {}
    batch = CHANGE_BATCH_PER_SKU * (limit + 1)
    for _ in range(CHANGE_ROUNDS):
        events = _change_events(cursor, batch)
        latest = _latest_changes({product_id for _, product_id in events}, since)
        for at, product_id in events:
            if len(found) == limit:
                # The page is full and this row is still to be read: the next page starts before it.
                return _change_page(found, cursor)
            cursor = (at, product_id)
            if latest.get(product_id) == at:
                found.setdefault(product_id, at)
        if len(events) < batch:
            return _change_page(found, None)
    return _change_page(found, cursor)


def _change_page(found: dict[int, datetime], cursor: ChangeCursor | None) -> StockPage:
    products = Product.objects.in_bulk(list(found))
    items = _with_stock([products[pk] for pk in found], changed_at=found)
    return StockPage(items=items, next_after=change_cursor_format(cursor) if cursor else None, unknown_skus=[])


def _change_events(cursor: ChangeCursor, batch: int) -> list[ChangeCursor]:
    """The first `batch` changed rows after the cursor as (updated_at, product id): products, stock
    levels (stock_level_updated) and kits through their components' levels, merged in that order."""
    product, level, part = (model._meta.db_table for model in (Product, StockLevel, KitComponent))
    with connection.cursor() as sql:
        sql.execute(
            f"""
            (SELECT updated_at, id FROM {product}
              WHERE (updated_at, id) > (%(at)s, %(id)s) ORDER BY updated_at, id LIMIT %(batch)s)
            UNION ALL
            (SELECT updated_at, product_id FROM {level}
              WHERE (updated_at, product_id) > (%(at)s, %(id)s) ORDER BY updated_at, product_id LIMIT %(batch)s)
            UNION ALL
            (SELECT level.updated_at, part.kit_id
               FROM {level} AS level JOIN {part} AS part ON part.component_id = level.product_id
              WHERE level.updated_at >= %(at)s AND (level.updated_at, part.kit_id) > (%(at)s, %(id)s)
              ORDER BY level.updated_at, part.kit_id LIMIT %(batch)s)
            ORDER BY 1, 2 LIMIT %(batch)s
            """,
            {"at": cursor[0], "id": cursor[1], "batch": batch},
        )
        return sql.fetchall()


def _latest_changes(product_ids: set[int], since: datetime) -> dict[int, datetime]:
    """{product id: time of its latest change} of those to list: active, or changed themselves since."""
    own = StockLevel.objects.filter(product_id=OuterRef("pk"))
    parts = StockLevel.objects.filter(
        product_id__in=KitComponent.objects.filter(kit_id=OuterRef(OuterRef("pk"))).values("component_id")
    )
    # PostgreSQL's GREATEST skips NULLs: a product without levels, a kit without components.
    return dict(
        Product.objects.filter(Q(is_active=True) | Q(updated_at__gt=since), pk__in=product_ids)
        .annotate(changed_at=Greatest("updated_at", _latest(own), _latest(parts)))
        .order_by()
        .values_list("pk", "changed_at")
    )


def _latest(levels) -> Subquery:
    return Subquery(levels.order_by("-updated_at").values("updated_at")[:1])


def _with_stock(products: list[Product], changed_at: dict[int, datetime] | None = None) -> list[SkuStock]:
    """Each product's stock in every active warehouse: three queries (warehouses, kit parts, levels).
    `changed_at` gives the change times the stock feed found, instead of those of the levels read here.

    A kit has no stock of its own: per warehouse, it has as many as its components make whole
    (on hand and available alike), and reserved is the difference.
    """
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code").only("pk", "code"))
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for kit_id, component_id, quantity in KitComponent.objects.filter(
        kit_id__in=[p.pk for p in products if p.is_kit]
    ).values_list("kit_id", "component_id", "quantity"):
        parts[kit_id].append((component_id, quantity))
    wanted = {p.pk for p in products if not p.is_kit} | {c for pairs in parts.values() for c, _ in pairs}
    levels: dict[int, dict[int, StockLevel]] = defaultdict(dict)
    # Change times come from the stock feed when it gave them (times cost the driver more than numbers).
    fields = ["product_id", "warehouse_id", "on_hand", "reserved", "available"] + ([] if changed_at else ["updated_at"])
    for level in StockLevel.objects.filter(product_id__in=wanted, warehouse__in=warehouses).only(*fields):
        levels[level.product_id][level.warehouse_id] = level
    changed_at = changed_at or {}
    return [
        _sku_stock(product, warehouses, parts.get(product.pk), levels, changed_at.get(product.pk))
        for product in products
    ]


def _sku_stock(product, warehouses, kit_parts, levels, changed_at: datetime | None) -> SkuStock:
    own = [(product.pk, 1)] if not product.is_kit else kit_parts or []
    rows = []
    for warehouse in warehouses:
        counted = [(levels[pk].get(warehouse.pk), per_unit) for pk, per_unit in own]
        on_hand = min((level.on_hand // per if level else 0 for level, per in counted), default=0)
        available = min((level.available // per if level else 0 for level, per in counted), default=0)
        rows.append(WarehouseStock(warehouse.code, on_hand, on_hand - available, available))
    if changed_at is None:
        changed_at = max([product.updated_at, *(level.updated_at for pk, _ in own for level in levels[pk].values())])
    return SkuStock(product.sku, product.is_active, changed_at, rows)
