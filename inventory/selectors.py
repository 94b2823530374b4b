"""Reads of inventory data for pages, reports and other apps."""

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Upper

from backoffice.money import quantize
from inventory.models import Bin, BinStock, KitComponent, Product, StockLevel, StockMovement, Warehouse
from inventory.services import StockLine

PRODUCT_PAGE_SIZE = 50
MOVEMENT_PAGE_SIZE = 25


def low_stock_levels(*, warehouse_id: int | None = None) -> QuerySet[StockLevel]:
    """Stock levels whose available quantity is below their reorder point, most short first."""
    levels = (
        StockLevel.objects.filter(reorder_point__gt=0, available__lt=F("reorder_point"), product__is_active=True)
        .select_related("product", "warehouse")
        .annotate(shortfall=F("reorder_point") - F("available"))
        .order_by("-shortfall", "product__sku", "warehouse__code")
    )
    if warehouse_id is not None:
        levels = levels.filter(warehouse_id=warehouse_id)
    return levels


# Low levels are counted up to this many ("1,000+" beyond): an exact count would join every low level
# to its product, which costs more than the page itself when thousands are low.
LOW_STOCK_COUNT_LIMIT = 1000


@dataclass
class LowStockPage:
    levels: list[StockLevel]
    # How many levels are low, counted up to LOW_STOCK_COUNT_LIMIT; `total_is_more` when there are more.
    total: int
    total_is_more: bool
    number: int
    has_next: bool


def low_stock_page(*, warehouse_id: int | None = None, number: int = 1, size: int = 100) -> LowStockPage:
    """One page of low_stock_levels(), most short first, and how many levels are low."""
    number = max(number, 1)
    start = (number - 1) * size
    levels = low_stock_levels(warehouse_id=warehouse_id)
    page = list(levels[start : start + size + 1])
    total = levels.order_by()[: LOW_STOCK_COUNT_LIMIT + 1].count()
    return LowStockPage(
        levels=page[:size],
        total=min(total, LOW_STOCK_COUNT_LIMIT),
        total_is_more=total > LOW_STOCK_COUNT_LIMIT,
        number=number,
        has_next=len(page) > size,
    )


def warehouse_list(*, active_only: bool = True) -> QuerySet[Warehouse]:
    warehouses = Warehouse.objects.order_by("code")
    return warehouses.filter(is_active=True) if active_only else warehouses


def bin_list(*, warehouse_id: int | None = None) -> QuerySet[Bin]:
    """Bins stock can be adjusted, transferred or counted in: active and not quarantine, in walk order.

    The services refuse quarantine bins for those operations (quarantined stock is released or
    scrapped instead), so offering them would only lead to an error.
    """
    bins = Bin.objects.filter(is_active=True, is_quarantine=False, warehouse__is_active=True).select_related(
        "warehouse"
    )
    if warehouse_id is not None:
        bins = bins.filter(warehouse_id=warehouse_id)
    return bins.order_by("warehouse__code", "pick_sequence", "code")


def product_get_or_none(*, product_id: int) -> Product | None:
    return Product.objects.filter(pk=product_id).first()


def stock_level_get(*, product_id: int, warehouse_id: int) -> StockLevel | None:
    return StockLevel.objects.filter(product_id=product_id, warehouse_id=warehouse_id).first()


def product_get_by_sku(*, sku: str) -> Product | None:
    # Upper() on both sides is the expression of the unique index, so this is one index lookup.
    return Product.objects.annotate(sku_key=Upper("sku")).filter(sku_key=sku.strip().upper()).first()


# --- the product list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StockCell:
    available: int
    # Below its reorder point in that warehouse (never for a kit: it has no level of its own).
    is_low: bool = False


@dataclass
class ProductRow:
    product: Product
    # One cell per warehouse of the page, in the same order; a kit's cells hold how many whole kits
    # its components' available stock makes.
    cells: list[StockCell]


@dataclass
class ProductPage:
    rows: list[ProductRow]
    warehouses: list[Warehouse]
    # upper(sku) of the last row when more rows follow: the key of the next page.
    next_key: str | None


def product_list(
    *,
    query: str = "",
    warehouse_id: int | None = None,
    low_stock: bool = False,
    inactive: bool = False,
    kits: bool = False,
    after: str = "",
    limit: int | None = None,
) -> ProductPage:
    """One page of products ordered by upper(sku), with their available stock per warehouse.

    `after` is the previous page's `next_key` (keyset pagination: no OFFSET, no count of the whole
    table). Active products are listed unless `inactive` asks for the inactive ones only. A warehouse
    narrows the stock columns and the low-stock filter to that warehouse. The number of queries does
    not depend on the page size: the products, the kits' components (when the page has kits), the
    levels, plus one id lookup each for a search, the kit filter and the low-stock filter.
    """
    limit = limit or PRODUCT_PAGE_SIZE
    products = Product.objects.annotate(sku_key=Upper("sku")).filter(is_active=not inactive)
    narrowings = []
    if query.strip():
        narrowings.append(_matching(query))
    if kits:
        # Kits are few and is_kit has no index: walking the SKU index would pass most of the table.
        narrowings.append(
            _by_id_if_few(Product.objects.filter(is_kit=True).values_list("pk", flat=True), Q(is_kit=True))
        )
    if low_stock:
        narrowings.append(_low(warehouse_id))
    for narrowing in narrowings:
        products = products.filter(narrowing.condition)
    if after:
        products = products.filter(sku_key__gt=after)
    order = F("sku_key").asc()
    if any(narrowing.few for narrowing in narrowings):
        # A few hundred ids: fetch them by primary key and sort. ASC NULLS FIRST (upper(sku) is never
        # null, so the order is the same) is an order the SKU index cannot give, which keeps the
        # planner from walking that index instead: it assumes matches are spread evenly, but they
        # cluster (the kits, a product line's SKUs) and the walk then passes most of the table.
        order = F("sku_key").asc(nulls_first=True)
    page = list(
        products.select_related("category")
        .only("id", "sku", "name", "barcode", "is_active", "is_kit", "category__name")
        .order_by(order)[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    warehouses = list(warehouse_list().filter(pk=warehouse_id) if warehouse_id else warehouse_list())
    rows = _with_availability(page, [w.pk for w in warehouses])
    return ProductPage(rows=rows, warehouses=warehouses, next_key=page[-1].sku_key if more else None)


# A search, the kit filter and the low-stock filter first find out whether few or many products
# match. Few are looked up by primary key and sorted (milliseconds). Many are common enough that
# walking the SKU index in order finds a page soon. Leaving the choice to the planner fails both
# ways: it cannot estimate a name prefix (to_tsquery 'x:*') or `available < reorder_point`, and it
# walked all 100,000 products testing each for a rare match (300 ms) where a lookup took 1 ms.
# The limits were measured with 100,000 products: a search's ids come from index scans, cheap to
# run twice (once to count, once inside the query); kits and low levels are found by scanning, so
# their ids are fetched once and sent back, which costs more per id.
SEARCH_LOOKUP_LIMIT = 5000
DIRECT_LOOKUP_LIMIT = 2000


@dataclass(frozen=True)
class _Narrowing:
    condition: Q
    # The condition picks a few products by id (fewer than the limits above).
    few: bool


def _by_id_if_few(ids: QuerySet, otherwise: Q, *, ids_from_index: bool = False) -> _Narrowing:
    ids = ids.order_by()
    if ids_from_index:
        if ids[: SEARCH_LOOKUP_LIMIT + 1].count() <= SEARCH_LOOKUP_LIMIT:
            return _Narrowing(Q(pk__in=ids), few=True)
    else:
        found = list(ids[: DIRECT_LOOKUP_LIMIT + 1])
        if len(found) <= DIRECT_LOOKUP_LIMIT:
            return _Narrowing(Q(pk__in=set(found)), few=True)
    return _Narrowing(otherwise, few=False)


def _matching(text: str) -> _Narrowing:
    """A SKU prefix, an exact barcode, or the words of the name (the last one as a prefix, as typed).

    Each alternative uses its own index: upper(sku) text_pattern_ops, the barcode's unique index, and
    the GIN index on to_tsvector('simple', name). The Q filters product_list's queryset (sku_key).
    """
    text = text.strip()
    sku_or_barcode = Q(sku_key__startswith=text.upper())
    matches = [Product.objects.alias(sku_key=Upper("sku")).filter(sku_key__startswith=text.upper())]
    if text.isdigit():
        sku_or_barcode |= Q(barcode=text)
        matches.append(Product.objects.filter(barcode=text))
    # Only letters and digits reach to_tsquery: its syntax characters (& | ! : ' ( ) <->) in raw user
    # input would be a syntax error or change the meaning.
    words = re.findall(r"[^\W_]+", text.lower())[:8]
    named = None
    if words:
        terms = [f"'{word}'" for word in words]
        # A one-letter prefix matches most names and helps nobody; it costs a bitmap of every product.
        if len(words[-1]) > 1:
            terms[-1] += ":*"
        named = Product.objects.alias(name_search=SearchVector("name", config="simple")).filter(
            name_search=SearchQuery(" & ".join(terms), search_type="raw", config="simple")
        )
        matches.append(named)
    ids = [qs.order_by().values_list("pk", flat=True) for qs in matches]
    # Many matches: the walk tests each row's SKU and barcode as they are, and its name against a
    # hashed set of the matching ids (an IN under OR becomes a hashed subplan) rather than by
    # computing to_tsvector(name) for every row (300 ms for a rare word in 100,000 products).
    many = sku_or_barcode | Q(pk__in=named.order_by().values("pk")) if named is not None else sku_or_barcode
    return _by_id_if_few(ids[0].union(*ids[1:], all=True), many, ids_from_index=True)


def _low(warehouse_id: int | None) -> _Narrowing:
    levels = StockLevel.objects.filter(reorder_point__gt=0, available__lt=F("reorder_point"))
    if warehouse_id:
        levels = levels.filter(warehouse_id=warehouse_id)
    return _by_id_if_few(
        levels.order_by().values_list("product_id", flat=True),
        Exists(levels.filter(product_id=OuterRef("pk"))),
    )


def _with_availability(products: list[Product], warehouse_ids: list[int]) -> list[ProductRow]:
    components = _components_of([p.pk for p in products if p.is_kit])
    wanted = {p.pk for p in products} | {c for parts in components.values() for c, _ in parts}
    levels = _levels_by_product(wanted, warehouse_ids)
    rows = []
    for product in products:
        if product.is_kit:
            cells = [StockCell(_kits_from(components[product.pk], levels, w)) for w in warehouse_ids]
        else:
            own = levels.get(product.pk, {})
            cells = [StockCell(own[w].available, own[w].is_low) if w in own else StockCell(0) for w in warehouse_ids]
        rows.append(ProductRow(product=product, cells=cells))
    return rows


def _components_of(kit_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if kit_ids:
        for kit_id, component_id, quantity in KitComponent.objects.filter(kit_id__in=kit_ids).values_list(
            "kit_id", "component_id", "quantity"
        ):
            components[kit_id].append((component_id, quantity))
    return components


def _levels_by_product(product_ids: set[int], warehouse_ids: list[int]) -> dict[int, dict[int, StockLevel]]:
    levels: dict[int, dict[int, StockLevel]] = defaultdict(dict)
    if product_ids and warehouse_ids:
        for level in StockLevel.objects.filter(product_id__in=product_ids, warehouse_id__in=warehouse_ids).only(
            "product_id", "warehouse_id", "available", "reorder_point"
        ):
            levels[level.product_id][level.warehouse_id] = level
    return levels


def _available(levels: dict[int, dict[int, StockLevel]], product_id: int, warehouse_id: int) -> int:
    level = levels.get(product_id, {}).get(warehouse_id)
    return level.available if level else 0


def _kits_from(parts: list[tuple[int, int]], levels: dict[int, dict[int, StockLevel]], warehouse_id: int) -> int:
    """Whole kits the components' available stock makes in one warehouse (none without components)."""
    if not parts:
        return 0
    return min(_available(levels, component_id, warehouse_id) // quantity for component_id, quantity in parts)


# --- one product ----------------------------------------------------------------------------------


@dataclass
class LevelRow:
    level: StockLevel
    # On hand at the product's cost price, rounded to the cent.
    value_amount: Decimal


@dataclass
class KitPart:
    component: Product
    quantity: int
    # Available per warehouse of ProductStock.warehouses, in that order.
    available: list[int]


@dataclass
class ProductStock:
    levels: list[LevelRow]
    value_amount: Decimal
    bins: list[BinStock]
    # Kits only: the active warehouses, the components, and how many whole kits each warehouse's
    # stock makes (lists in the order of `warehouses`).
    warehouses: list[Warehouse]
    parts: list[KitPart]
    kit_available: list[int]


def product_stock(*, product: Product) -> ProductStock:
    """Balances per warehouse with their value at cost, stock per bin, and a kit's components."""
    levels = [
        LevelRow(level=level, value_amount=quantize(level.on_hand * product.cost_price))
        for level in StockLevel.objects.filter(product=product).select_related("warehouse").order_by("warehouse__code")
    ]
    bins = list(
        BinStock.objects.filter(product=product, on_hand__gt=0)
        .select_related("bin__warehouse")
        .order_by("bin__warehouse__code", "bin__pick_sequence", "bin__code")
    )
    warehouses, parts, kit_available = [], [], []
    if product.is_kit:
        warehouses = list(warehouse_list())
        parts, kit_available = _kit_parts(product, [w.pk for w in warehouses])
    return ProductStock(
        levels=levels,
        # The sum of the rounded warehouse values, so that the column adds up to what is shown.
        value_amount=sum((row.value_amount for row in levels), Decimal("0.00")),
        bins=bins,
        warehouses=warehouses,
        parts=parts,
        kit_available=kit_available,
    )


def _kit_parts(kit: Product, warehouse_ids: list[int]) -> tuple[list[KitPart], list[int]]:
    components = list(KitComponent.objects.filter(kit=kit).select_related("component").order_by("component__sku"))
    levels = _levels_by_product({c.component_id for c in components}, warehouse_ids)
    parts = [
        KitPart(
            component=c.component,
            quantity=c.quantity,
            available=[_available(levels, c.component_id, w) for w in warehouse_ids],
        )
        for c in components
    ]
    pairs = [(c.component_id, c.quantity) for c in components]
    return parts, [_kits_from(pairs, levels, w) for w in warehouse_ids]


@dataclass
class MovementPage:
    movements: list[StockMovement]
    # The id to pass as `before` for the next (older) page, when there is one.
    next_before: int | None


def product_movements(*, product_id: int, before: int | None = None, limit: int | None = None) -> MovementPage:
    """A product's ledger, newest first, by keyset on id (the index movement_product_history)."""
    limit = limit or MOVEMENT_PAGE_SIZE
    movements = StockMovement.objects.filter(product_id=product_id).select_related("warehouse", "bin", "actor")
    if before:
        movements = movements.filter(pk__lt=before)
    page = list(movements.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return MovementPage(movements=page, next_before=page[-1].pk if more else None)


def bin_contents(*, bin_id: int) -> list[BinStock]:
    """What a bin holds according to the ledger, by SKU (the sheet of a cycle count)."""
    return list(
        BinStock.objects.filter(bin_id=bin_id, on_hand__gt=0).select_related("product").order_by("product__sku")
    )


def return_bins(*, warehouse_id: int) -> dict[int, Bin]:
    """Bins returned goods may go to in the warehouse: active ones, quarantine bins included."""
    return {
        b.pk: b for b in Bin.objects.filter(warehouse_id=warehouse_id, is_active=True).order_by("pick_sequence", "code")
    }


def pick_plan(*, warehouse_id: int, quantities: dict[int, int]) -> list[StockLine]:
    """Where to take units from: {product id: quantity} (kits as their components) as stock lines with
    the bins to pick them from, walking bins in pick sequence; units that are on hand but in no bin come
    last, as lines without a bin. For `inventory.services.stock_ship` and pick lists."""
    needs: dict[int, int] = defaultdict(int)
    kits = _components_of(list(Product.objects.filter(pk__in=quantities, is_kit=True).values_list("pk", flat=True)))
    for product_id, quantity in quantities.items():
        for component_id, per_kit in kits.get(product_id) or [(product_id, 1)]:
            needs[component_id] += per_kit * quantity
    stock = (
        BinStock.objects.filter(
            product_id__in=needs,
            bin__warehouse_id=warehouse_id,
            bin__is_quarantine=False,
            bin__is_active=True,
            on_hand__gt=0,
        )
        .order_by("bin__pick_sequence", "bin__code")
        .values_list("product_id", "bin_id", "on_hand")
    )
    lines = []
    for product_id, bin_id, on_hand in stock:
        take = min(on_hand, needs[product_id])
        if take:
            lines.append(StockLine(product_id, take, bin_id))
            needs[product_id] -= take
    lines.extend(StockLine(product_id, left) for product_id, left in sorted(needs.items()) if left)
    return lines
