"""Every change of stock passes through here, and every one through `_post()`.

`_post()` takes a list of postings (product, warehouse, bin, kind, signed quantity), locks the
StockLevel rows it touches in primary-key order and, in the same statement, updates each balance that
stays within the rules; then it locks the BinStock rows in primary-key order and checks them, and if
anything would break a rule it raises (the service's transaction or savepoint undoes the updates);
else it inserts the movements and updates the bins, all in the caller's transaction. One business
operation (a multi-line reservation, a transfer, a count) is one `_post()` call, so that two
operations never take their locks in different orders. The database's check constraints (on hand >=
0, reserved <= on hand, ...) stand behind these checks.
"""

import operator
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from backoffice.money import UNIT_PRICE_STEP, quantize
from inventory.exceptions import InsufficientStock, InvalidStockOperation, Shortage
from inventory.models import (
    BALANCE_OF_KIND,
    Bin,
    BinStock,
    KitComponent,
    MovementKind,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)

BALANCES = ("on_hand", "reserved", "quarantined")


@dataclass(frozen=True)
class StockLine:
    """One line of a stock operation: product id, quantity (positive), optional bin id and unit cost."""

    product_id: int
    quantity: int
    bin_id: int | None = None
    unit_cost: Decimal | None = None


@dataclass
class _Posting:
    product_id: int
    warehouse_id: int
    kind: str
    quantity: int
    bin_id: int | None = None
    unit_cost: Decimal | None = None


@dataclass
class _Context:
    """Who and why, shared by all movements of one operation."""

    actor: object = None
    reason: str = ""
    source_type: str = ""
    source_id: str = ""
    idempotency_key: str | None = None
    products: dict = field(default_factory=dict)


# --- the one write path ---------------------------------------------------------------------------


@dataclass
class _Posted:
    movements: list[StockMovement]
    # True when the idempotency key had been used: nothing was changed, the first result is returned.
    replayed: bool = False


def _post(postings: Sequence[_Posting], context: _Context) -> _Posted:
    if not postings:
        return _Posted([])
    if not context.idempotency_key:
        return _Posted(_apply(postings, context))
    replay = _replayed(context.idempotency_key)
    if replay:
        return _Posted(replay, replayed=True)
    try:
        # A savepoint: when a concurrent call with the same idempotency key commits first (the unique
        # index makes us wait for it), this call is a replay and must leave the balances as they were.
        with transaction.atomic():
            return _Posted(_apply(postings, context))
    except IntegrityError as error:
        if "idempotency_key" in str(error):
            return _Posted(_replayed(context.idempotency_key), replayed=True)
        raise


def _apply(postings: Sequence[_Posting], context: _Context) -> list[StockMovement]:
    """Lock, check and change the balances, then record the movements; raises InsufficientStock (the
    caller's atomic block undoes what was changed) naming everything that would break a rule."""
    _create_missing_rows(postings)
    level_deltas: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(BALANCES, 0))
    bin_deltas: dict[tuple[int, int], int] = defaultdict(int)
    for posting in postings:
        balance = BALANCE_OF_KIND[posting.kind]
        if balance:
            level_deltas[(posting.product_id, posting.warehouse_id)][balance] += posting.quantity
        if posting.bin_id is not None:
            bin_deltas[(posting.product_id, posting.bin_id)] += posting.quantity

    changed = _update_levels(sorted({(p.product_id, p.warehouse_id) for p in postings}), level_deltas)
    refused = [pair for pair in level_deltas if pair not in changed]
    levels = _levels(refused) if refused else {}
    shortages = _level_shortages(levels, {pair: level_deltas[pair] for pair in refused}, context)
    bins = _lock_bin_stock(sorted(bin_deltas)) if bin_deltas else {}
    shortages += _bin_shortages(bins, bin_deltas, context)
    if shortages:
        raise InsufficientStock(shortages)
    # What is left unchanged can only be a missing row whose balances would not change at all.
    if any(pair in levels or any(level_deltas[pair].values()) for pair in refused):
        raise RuntimeError(f"Stock levels {refused} were refused without a shortage; nothing was posted.")

    operation = uuid.uuid4()
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement(
                product_id=p.product_id,
                warehouse_id=p.warehouse_id,
                bin_id=p.bin_id,
                kind=p.kind,
                quantity=p.quantity,
                unit_cost=p.unit_cost if p.unit_cost is not None else context.products[p.product_id].cost_price,
                reason=context.reason,
                source_type=context.source_type,
                source_id=context.source_id,
                operation=operation,
                idempotency_key=f"{context.idempotency_key}:{index}" if context.idempotency_key else None,
                actor=context.actor if getattr(context.actor, "pk", None) else None,
            )
            for index, p in enumerate(postings)
        ]
    )
    _apply_bin_deltas({bins[pair].pk: delta for pair, delta in bin_deltas.items()})
    return movements


def _replayed(idempotency_key: str) -> list[StockMovement]:
    return list(StockMovement.objects.filter(idempotency_key__startswith=f"{idempotency_key}:").order_by("pk"))


def _create_missing_rows(postings: Sequence[_Posting]) -> None:
    """Balance rows for stock arriving where the product has never been (sorted: a fixed insert order).

    Reservations never need one: with no row, nothing is available and the reservation is refused.
    """
    levels = sorted(
        {
            (p.product_id, p.warehouse_id)
            for p in postings
            if p.quantity > 0 and BALANCE_OF_KIND[p.kind] in ("on_hand", "quarantined")
        }
    )
    if levels:
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=product, warehouse_id=warehouse) for product, warehouse in levels],
            ignore_conflicts=True,
        )
    bins = sorted({(p.product_id, p.bin_id) for p in postings if p.bin_id is not None and p.quantity > 0})
    if bins:
        BinStock.objects.bulk_create(
            [BinStock(product_id=product, bin_id=bin_id) for product, bin_id in bins], ignore_conflicts=True
        )


def _lock_levels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    rows = StockLevel.objects.select_for_update().filter(_pairs_filter(pairs, "warehouse_id")).order_by("pk")
    return {(r.product_id, r.warehouse_id): r for r in rows}


def _levels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    rows = StockLevel.objects.filter(_pairs_filter(pairs, "warehouse_id"))
    return {(r.product_id, r.warehouse_id): r for r in rows}


def _update_levels(
    pairs: list[tuple[int, int]], deltas: dict[tuple[int, int], dict[str, int]]
) -> dict[tuple[int, int], StockLevel]:
    """Lock the StockLevel rows of `pairs` in primary-key order and add `deltas` to each row whose
    balances stay within the rules (on hand >= 0, 0 <= reserved <= on hand, quarantined >= 0: the
    check constraints, and what `_level_shortages` checks), in one statement. Pairs without deltas are
    only locked (a pick changes bins only). Returns the rows changed, with their balances before.

    Rows are locked in key order before any is changed (the CTE is materialized and locks as it sorts),
    so this takes its locks in the same order as every other stock operation; a row another
    transaction changed while we waited is checked and changed as it is now (PostgreSQL re-reads a
    locked row's latest version in READ COMMITTED)."""
    unchanged = dict.fromkeys(BALANCES, 0)
    rows = []
    for pair in pairs:
        delta = deltas.get(pair, unchanged)
        rows.append((*pair, delta["on_hand"], delta["reserved"], delta["quarantined"], pair in deltas))
    values = ", ".join(["(%s::bigint, %s::bigint, %s::integer, %s::integer, %s::integer, %s::boolean)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH delta (product_id, warehouse_id, on_hand, reserved, quarantined, apply) AS (VALUES {values}),
            locked AS MATERIALIZED (
                SELECT level.id FROM inventory_stocklevel AS level
                  JOIN delta ON delta.product_id = level.product_id AND delta.warehouse_id = level.warehouse_id
                 ORDER BY level.id
                   FOR UPDATE OF level
            )
            UPDATE inventory_stocklevel AS level
               SET on_hand = level.on_hand + delta.on_hand,
                   reserved = level.reserved + delta.reserved,
                   quarantined = level.quarantined + delta.quarantined,
                   updated_at = now()
              FROM locked, delta
             WHERE level.id = locked.id
               AND delta.product_id = level.product_id AND delta.warehouse_id = level.warehouse_id
               AND delta.apply
               AND level.on_hand + delta.on_hand >= 0
               AND level.reserved + delta.reserved BETWEEN 0 AND level.on_hand + delta.on_hand
               AND level.quarantined + delta.quarantined >= 0
            RETURNING level.id, level.product_id, level.warehouse_id, level.on_hand - delta.on_hand,
                      level.reserved - delta.reserved, level.quarantined - delta.quarantined
            """,
            [value for row in rows for value in row],
        )
        return {
            (product, warehouse): StockLevel(
                pk=pk,
                product_id=product,
                warehouse_id=warehouse,
                on_hand=on_hand,
                reserved=reserved,
                quarantined=quarantined,
            )
            for pk, product, warehouse, on_hand, reserved, quarantined in cursor.fetchall()
        }


def _lock_bin_stock(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], BinStock]:
    rows = BinStock.objects.select_for_update().filter(_pairs_filter(pairs, "bin_id")).order_by("pk")
    return {(r.product_id, r.bin_id): r for r in rows}


def _pairs_filter(pairs: list[tuple[int, int]], scope: str) -> Q:
    """(product, warehouse-or-bin) pairs as one condition per warehouse or bin: a few index scans even
    for a count of thousands of products (an OR per pair would cost Django and PostgreSQL dearly)."""
    products_by_scope: dict[int, list[int]] = defaultdict(list)
    for product_id, scope_id in pairs:
        products_by_scope[scope_id].append(product_id)
    return reduce(
        operator.or_,
        (Q(**{scope: scope_id, "product_id__in": ids}) for scope_id, ids in sorted(products_by_scope.items())),
    )


def _level_shortages(levels, level_deltas, context) -> list[Shortage]:
    shortages = []
    codes = None
    for pair, delta in level_deltas.items():
        level = levels.get(pair) or StockLevel(product_id=pair[0], warehouse_id=pair[1])
        on_hand = level.on_hand + delta["on_hand"]
        reserved = level.reserved + delta["reserved"]
        problem = None
        if delta["reserved"] > 0 and reserved > on_hand:
            problem = (delta["reserved"], level.on_hand - level.reserved, "available")
        elif on_hand < 0:
            problem = (-delta["on_hand"], level.on_hand, "on hand")
        elif reserved < 0:
            problem = (-delta["reserved"], level.reserved, "reserved")
        elif reserved > on_hand:
            # Taking away stock that is promised to orders: release or reallocate those first.
            problem = (-delta["on_hand"], level.on_hand - level.reserved, "unreserved on hand")
        elif level.quarantined + delta["quarantined"] < 0:
            problem = (-delta["quarantined"], level.quarantined, "quarantined")
        if problem:
            codes = codes or _warehouse_codes()
            sku = context.products[pair[0]].sku
            shortages.append(Shortage(sku, codes[pair[1]], problem[0], max(problem[1], 0), problem[2]))
    return shortages


def _bin_shortages(bins, bin_deltas, context) -> list[Shortage]:
    short = [
        (pair, delta, bins[pair].on_hand if pair in bins else 0)
        for pair, delta in bin_deltas.items()
        if (bins[pair].on_hand if pair in bins else 0) + delta < 0
    ]
    if not short:
        return []
    names = {b.pk: b for b in Bin.objects.select_related("warehouse").filter(pk__in={pair[1] for pair, _, _ in short})}
    return [
        Shortage(
            context.products[product_id].sku,
            names[bin_id].warehouse.code,
            -delta,
            current,
            f"in bin {names[bin_id].code}",
        )
        for (product_id, bin_id), delta, current in short
    ]


def _warehouse_codes() -> dict[int, str]:
    return dict(Warehouse.objects.values_list("pk", "code"))


def _apply_bin_deltas(deltas: dict[int, int]) -> None:
    rows = [(pk, delta) for pk, delta in sorted(deltas.items()) if delta]
    if not rows:
        return
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE inventory_binstock AS stock SET on_hand = stock.on_hand + delta.quantity
              FROM (VALUES {values}) AS delta (id, quantity) WHERE stock.id = delta.id
            """,
            [value for row in rows for value in row],
        )


# --- helpers of the public services ---------------------------------------------------------------


def _products(product_ids: Iterable[int]) -> dict[int, Product]:
    ids = set(product_ids)
    products = {p.pk: p for p in Product.objects.filter(pk__in=ids).only("id", "sku", "is_kit", "cost_price")}
    missing = ids - products.keys()
    if missing:
        raise InvalidStockOperation(f"Unknown product id(s): {', '.join(map(str, sorted(missing)))}")
    return products


def _check_lines(lines: Sequence[StockLine]) -> None:
    if not lines:
        raise InvalidStockOperation("No lines given.")
    for line in lines:
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            raise InvalidStockOperation(f"Quantities must be whole numbers above zero, not {line.quantity!r}.")


def _refuse_kits(products: dict[int, Product], what: str) -> None:
    kits = sorted(p.sku for p in products.values() if p.is_kit)
    if kits:
        raise InvalidStockOperation(
            f"{', '.join(kits)}: a kit has no stock of its own and cannot be {what}; use its components."
        )


def _check_bins(lines: Sequence[StockLine], warehouse_id: int, *, quarantine: bool | None = False) -> None:
    """Bins must belong to the warehouse; `quarantine` says whether they must (not) be quarantine bins."""
    bin_ids = {line.bin_id for line in lines if line.bin_id is not None}
    if not bin_ids:
        return
    bins = {b.pk: b for b in Bin.objects.filter(pk__in=bin_ids)}
    for bin_id in bin_ids:
        found = bins.get(bin_id)
        if found is None or found.warehouse_id != warehouse_id:
            raise InvalidStockOperation(
                f"Bin {found or bin_id} is not in warehouse {_warehouse_codes()[warehouse_id]}."
            )
        if quarantine is not None and found.is_quarantine != quarantine:
            kind = "a quarantine bin" if found.is_quarantine else "not a quarantine bin"
            raise InvalidStockOperation(f"Bin {found} is {kind}.")


def _expand_kits(lines: Sequence[StockLine], products: dict[int, Product]) -> list[StockLine]:
    """Replace each kit line by its components; the same product on several lines is added up."""
    kit_ids = [line.product_id for line in lines if products[line.product_id].is_kit]
    components: dict[int, list[KitComponent]] = defaultdict(list)
    if kit_ids:
        for component in KitComponent.objects.filter(kit_id__in=kit_ids).select_related("component"):
            components[component.kit_id].append(component)
            products[component.component_id] = component.component
    totals: dict[tuple[int, int | None], int] = defaultdict(int)
    for line in lines:
        if products[line.product_id].is_kit:
            if not components[line.product_id]:
                raise InvalidStockOperation(f"Kit {products[line.product_id].sku} has no components.")
            for component in components[line.product_id]:
                totals[(component.component_id, line.bin_id)] += component.quantity * line.quantity
        else:
            totals[(line.product_id, line.bin_id)] += line.quantity
    return [StockLine(product_id, quantity, bin_id) for (product_id, bin_id), quantity in totals.items()]


def _context(actor, reason, source_type, source_id, idempotency_key, products) -> _Context:
    return _Context(
        actor=actor,
        reason=(reason or "").strip(),
        source_type=source_type,
        source_id=str(source_id) if source_id is not None else "",
        idempotency_key=idempotency_key,
        products=products,
    )


# --- public services ------------------------------------------------------------------------------


@transaction.atomic
def stock_receive(
    *,
    warehouse_id: int,
    lines: Sequence[StockLine],
    actor=None,
    reason: str = "",
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Put received goods on hand (into a bin when given) and update the products' moving-average cost.

    Raises InvalidStockOperation for kits, bad quantities or bins of another warehouse.
    """
    _check_lines(lines)
    _check_bins(lines, warehouse_id)
    # Lock the products first (the lock order is products, then levels, then bins): the average cost
    # reads the stock of all warehouses, and two receipts of one product must not interleave.
    products = {
        p.pk: p
        for p in Product.objects.select_for_update().filter(pk__in={line.product_id for line in lines}).order_by("pk")
    }
    if len(products) != len({line.product_id for line in lines}):
        raise InvalidStockOperation("Unknown product in the receipt.")
    _refuse_kits(products, "received")
    context = _context(actor, reason, source_type, source_id, idempotency_key, products)
    postings = [
        _Posting(line.product_id, warehouse_id, MovementKind.RECEIPT, line.quantity, line.bin_id, line.unit_cost)
        for line in lines
    ]
    on_hand = dict(
        StockLevel.objects.filter(product_id__in=products)
        .values("product_id")
        .annotate(total=Sum("on_hand"))
        .values_list("product_id", "total")
    )
    posted = _post(postings, context)
    if not posted.replayed:
        _update_average_costs(products, on_hand, lines)
    return posted.movements


def _update_average_costs(products: dict[int, Product], on_hand: dict[int, int], lines: Sequence[StockLine]):
    received: dict[int, tuple[int, Decimal]] = {}
    for line in lines:
        if line.unit_cost is None:
            continue
        quantity, value = received.get(line.product_id, (0, Decimal(0)))
        received[line.product_id] = (quantity + line.quantity, value + line.unit_cost * line.quantity)
    changed = []
    for product_id, (quantity, value) in received.items():
        product = products[product_id]
        before = max(on_hand.get(product_id, 0), 0)
        product.cost_price = quantize((before * product.cost_price + value) / (before + quantity), UNIT_PRICE_STEP)
        changed.append(product)
    if changed:
        Product.objects.bulk_update(changed, ["cost_price"])


@transaction.atomic
def stock_adjust(
    *, product_id: int, warehouse_id: int, quantity: int, reason: str, bin_id: int | None = None, actor=None
) -> StockMovement:
    """Correct the stock on hand by a signed quantity, with a reason (damage, found, write-off...)."""
    if not reason or not reason.strip():
        raise InvalidStockOperation("An adjustment needs a reason.")
    if not isinstance(quantity, int) or quantity == 0:
        raise InvalidStockOperation("Adjust by a whole number other than zero.")
    products = _products([product_id])
    _refuse_kits(products, "adjusted")
    _check_bins([StockLine(product_id, abs(quantity), bin_id)], warehouse_id)
    context = _context(actor, reason, "", "", None, products)
    (movement,) = _post(
        [_Posting(product_id, warehouse_id, MovementKind.ADJUSTMENT, quantity, bin_id)], context
    ).movements
    return movement


@transaction.atomic
def stock_transfer(
    *,
    from_warehouse_id: int,
    to_warehouse_id: int,
    lines: Sequence[StockLine],
    to_bin_ids: dict[int, int] | None = None,
    actor=None,
    reason: str = "",
) -> list[StockMovement]:
    """Move unreserved stock between warehouses; all lines or none.

    `lines` carry the source bins; `to_bin_ids` maps product id to a destination bin.
    """
    if from_warehouse_id == to_warehouse_id:
        raise InvalidStockOperation("A transfer needs two different warehouses.")
    _check_lines(lines)
    to_bin_ids = to_bin_ids or {}
    products = _products(line.product_id for line in lines)
    _refuse_kits(products, "transferred")
    _check_bins(lines, from_warehouse_id)
    _check_bins([StockLine(pid, 1, bin_id) for pid, bin_id in to_bin_ids.items()], to_warehouse_id)
    context = _context(actor, reason, "", "", None, products)
    postings = []
    for line in lines:
        postings.append(
            _Posting(line.product_id, from_warehouse_id, MovementKind.TRANSFER_OUT, -line.quantity, line.bin_id)
        )
        postings.append(
            _Posting(
                line.product_id,
                to_warehouse_id,
                MovementKind.TRANSFER_IN,
                line.quantity,
                to_bin_ids.get(line.product_id),
            )
        )
    return _post(postings, context).movements


@transaction.atomic
def stock_reserve(
    *,
    warehouse_id: int,
    lines: Sequence[StockLine],
    actor=None,
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Reserve available stock for the lines (kits reserve their components); all lines or none.

    Raises InsufficientStock naming every short SKU with requested and available quantities.
    """
    return _reserve_or_release(
        MovementKind.RESERVATION, {warehouse_id: lines}, actor, source_type, source_id, idempotency_key
    )


@transaction.atomic
def stock_release(
    *,
    warehouse_id: int,
    lines: Sequence[StockLine],
    actor=None,
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Give reserved stock back to available (an order cancelled or changed)."""
    return _reserve_or_release(
        MovementKind.RELEASE, {warehouse_id: lines}, actor, source_type, source_id, idempotency_key
    )


@transaction.atomic
def stock_reserve_allocated(
    *,
    allocations: dict[int, Sequence[StockLine]],
    actor=None,
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Reserve lines in several warehouses at once ({warehouse id: lines}), all or nothing: one
    operation, so its locks are taken in the same order as every other operation's."""
    return _reserve_or_release(MovementKind.RESERVATION, allocations, actor, source_type, source_id, idempotency_key)


@transaction.atomic
def stock_release_allocated(
    *,
    allocations: dict[int, Sequence[StockLine]],
    actor=None,
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Release reservations in several warehouses at once (an order cancelled or changed)."""
    return _reserve_or_release(MovementKind.RELEASE, allocations, actor, source_type, source_id, idempotency_key)


def _reserve_or_release(kind, allocations, actor, source_type, source_id, idempotency_key):
    for lines in allocations.values():
        _check_lines(lines)
    products = _products(line.product_id for lines in allocations.values() for line in lines)
    sign = 1 if kind == MovementKind.RESERVATION else -1
    postings = []
    for warehouse_id, lines in sorted(allocations.items()):
        expanded = _expand_kits([StockLine(line.product_id, line.quantity) for line in lines], products)
        postings += [_Posting(line.product_id, warehouse_id, kind, sign * line.quantity) for line in expanded]
    context = _context(actor, "", source_type, source_id, idempotency_key, products)
    return _post(postings, context).movements


@transaction.atomic
def stock_pick(
    *, warehouse_id: int, lines: Sequence[StockLine], actor=None, source_type: str = "", source_id=""
) -> list[StockMovement]:
    """Take reserved units out of their bins to the packing area (they stay on hand until shipped)."""
    _check_lines(lines)
    if any(line.bin_id is None for line in lines):
        raise InvalidStockOperation("Every picked line needs the bin it is picked from.")
    products = _products(line.product_id for line in lines)
    _refuse_kits(products, "picked")
    _check_bins(lines, warehouse_id)
    context = _context(actor, "", source_type, source_id, None, products)
    postings = [
        _Posting(line.product_id, warehouse_id, MovementKind.PICK, -line.quantity, line.bin_id) for line in lines
    ]
    return _post(postings, context).movements


@transaction.atomic
def stock_ship(
    *,
    warehouse_id: int,
    lines: Sequence[StockLine],
    reserved: bool = True,
    actor=None,
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Ship units: they leave the stock on hand and, when `reserved`, their reservation.

    Lines with a bin take the units from that bin (shipped without a pick); lines without one ship
    units that were picked before. Kits ship their components.
    """
    _check_lines(lines)
    products = _products(line.product_id for line in lines)
    expanded = _expand_kits(lines, products)
    _check_bins(expanded, warehouse_id)
    context = _context(actor, "", source_type, source_id, idempotency_key, products)
    postings = []
    for line in expanded:
        if reserved:
            postings.append(_Posting(line.product_id, warehouse_id, MovementKind.RELEASE, -line.quantity))
        postings.append(_Posting(line.product_id, warehouse_id, MovementKind.SHIPMENT, -line.quantity, line.bin_id))
    return _post(postings, context).movements


@transaction.atomic
def stock_return(
    *,
    warehouse_id: int,
    lines: Sequence[StockLine],
    to_quarantine: bool = False,
    actor=None,
    reason: str = "",
    source_type: str = "",
    source_id="",
    idempotency_key: str | None = None,
) -> list[StockMovement]:
    """Take returned units back: sellable into a bin, or held in quarantine (a quarantine bin).

    Kits return as their components.
    """
    _check_lines(lines)
    products = _products(line.product_id for line in lines)
    expanded = _expand_kits(lines, products)
    if to_quarantine and any(line.bin_id is None for line in expanded):
        raise InvalidStockOperation("Returns to quarantine go into a quarantine bin.")
    _check_bins(expanded, warehouse_id, quarantine=to_quarantine)
    kind = MovementKind.QUARANTINE if to_quarantine else MovementKind.RETURN
    context = _context(actor, reason, source_type, source_id, idempotency_key, products)
    postings = [_Posting(line.product_id, warehouse_id, kind, line.quantity, line.bin_id) for line in expanded]
    return _post(postings, context).movements


@transaction.atomic
def stock_quarantine_release(
    *,
    warehouse_id: int,
    product_id: int,
    quantity: int,
    from_bin_id: int,
    to_bin_id: int | None = None,
    scrap: bool = False,
    reason: str = "",
    actor=None,
) -> list[StockMovement]:
    """Decide on quarantined units: back to sellable stock (into `to_bin_id`) or scrapped."""
    if not scrap and not reason:
        reason = "Released from quarantine"
    if scrap and not reason.strip():
        raise InvalidStockOperation("Scrapping needs a reason.")
    _check_lines([StockLine(product_id, quantity)])
    products = _products([product_id])
    _check_bins([StockLine(product_id, quantity, from_bin_id)], warehouse_id, quarantine=True)
    postings = [_Posting(product_id, warehouse_id, MovementKind.QUARANTINE, -quantity, from_bin_id)]
    if not scrap:
        _check_bins([StockLine(product_id, quantity, to_bin_id)], warehouse_id)
        postings.append(_Posting(product_id, warehouse_id, MovementKind.RETURN, quantity, to_bin_id))
    return _post(postings, _context(actor, reason, "", "", None, products)).movements


@dataclass(frozen=True)
class CountVariance:
    product_id: int
    sku: str
    expected: int
    counted: int
    bin_id: int | None = None

    @property
    def variance(self) -> int:
        return self.counted - self.expected


def stock_count(*, bin_id: int, counts: dict[int, int], actor=None, reason: str = "Cycle count") -> list[CountVariance]:
    """Post a cycle count of one bin (see stock_count_bins)."""
    return stock_count_bins(counts={bin_id: counts}, actor=actor, reason=reason)


@transaction.atomic
def stock_count_bins(
    *, counts: dict[int, dict[int, int]], actor=None, reason: str = "Cycle count"
) -> list[CountVariance]:
    """Post the cycle counts of one or more bins ({bin id: {product id: counted}}) as one operation:
    the difference between counted and expected becomes a count correction, so that each bin and its
    warehouse then hold what was counted.

    Products not in a bin's counts are left alone. Raises InsufficientStock if a count would leave
    less on hand than is reserved, InvalidStockOperation for kits, quarantine bins or bad numbers.
    """
    if not counts or not all(counts.values()):
        raise InvalidStockOperation("Nothing was counted.")
    if any(not isinstance(q, int) or q < 0 for per_bin in counts.values() for q in per_bin.values()):
        raise InvalidStockOperation("Counted quantities must be whole numbers, zero or more.")
    bins = {b.pk: b for b in Bin.objects.select_related("warehouse").filter(pk__in=counts)}
    for bin_id in counts:
        if bin_id not in bins:
            raise InvalidStockOperation(f"Unknown bin id {bin_id}.")
        if bins[bin_id].is_quarantine:
            raise InvalidStockOperation(
                f"Bin {bins[bin_id]} is a quarantine bin; count its stock by releasing or scrapping it."
            )
    products = _products({product_id for per_bin in counts.values() for product_id in per_bin})
    _refuse_kits(products, "counted")
    level_pairs = sorted({(p, bins[b].warehouse_id) for b, per_bin in counts.items() for p in per_bin})
    bin_pairs = sorted({(p, b) for b, per_bin in counts.items() for p in per_bin})
    # Lock as _post() does (levels, then bins, each in key order) before reading the bins, so the
    # variance is against the current figure and the lock order is the same as everywhere else.
    StockLevel.objects.bulk_create(
        [StockLevel(product_id=p, warehouse_id=w) for p, w in level_pairs], ignore_conflicts=True
    )
    BinStock.objects.bulk_create([BinStock(product_id=p, bin_id=b) for p, b in bin_pairs], ignore_conflicts=True)
    _lock_levels(level_pairs)
    expected = {pair: stock.on_hand for pair, stock in _lock_bin_stock(bin_pairs).items()}
    variances = [
        CountVariance(product_id, products[product_id].sku, expected.get((product_id, bin_id), 0), counted, bin_id)
        for bin_id, per_bin in sorted(counts.items())
        for product_id, counted in sorted(per_bin.items())
    ]
    postings = [
        _Posting(v.product_id, bins[v.bin_id].warehouse_id, MovementKind.COUNT_CORRECTION, v.variance, v.bin_id)
        for v in variances
        if v.variance
    ]
    source_id = next(iter(counts)) if len(counts) == 1 else ""
    _post(postings, _context(actor, reason, "inventory.bin" if source_id else "", source_id, None, products))
    return variances


@transaction.atomic
def stock_level_set_reorder(
    *, product_id: int, warehouse_id: int, reorder_point: int, reorder_quantity: int
) -> StockLevel:
    """Set when a product counts as low in a warehouse and how much to reorder then."""
    if reorder_point < 0 or reorder_quantity < 0:
        raise InvalidStockOperation("Reorder point and quantity cannot be negative.")
    products = _products([product_id])
    _refuse_kits(products, "reordered")
    StockLevel.objects.bulk_create(
        [StockLevel(product_id=product_id, warehouse_id=warehouse_id)], ignore_conflicts=True
    )
    level = StockLevel.objects.select_for_update().get(product_id=product_id, warehouse_id=warehouse_id)
    level.reorder_point = reorder_point
    level.reorder_quantity = reorder_quantity
    level.save(update_fields=["reorder_point", "reorder_quantity", "updated_at"])
    return level


def low_stock_digest_send(*, recipients: Sequence[str] | None = None) -> int:
    """E-mail the list of low stock levels to the people who reorder (Buyers and Managers).

    Recomputed from the levels at the time of sending; sends nothing when nothing is low or nobody
    has an e-mail address. Returns the number of low levels reported.
    """
    from django.contrib.auth.models import User
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from inventory.selectors import low_stock_levels

    levels = list(low_stock_levels())
    if recipients is None:
        recipients = sorted(
            set(
                User.objects.filter(is_active=True, groups__name__in=["Buyer", "Manager"])
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
    if not levels or not recipients:
        return len(levels)
    context = {"levels": levels}
    send_mail(
        subject=f"Low stock: {len(levels)} item{'s' if len(levels) != 1 else ''} below reorder point",
        message=render_to_string("inventory/email/low_stock_digest.txt", context),
        from_email=None,
        recipient_list=list(recipients),
        html_message=render_to_string("inventory/email/low_stock_digest.html", context),
    )
    return len(levels)


@transaction.atomic
def product_set_list_prices(*, prices: dict[int, Decimal]) -> int:
    """Set new list prices (e.g. accepted repricing suggestions); returns how many changed."""
    if any(price < 0 for price in prices.values()):
        raise InvalidStockOperation("A list price cannot be negative.")
    products = list(Product.objects.select_for_update().filter(pk__in=prices).order_by("pk"))
    changed = [p for p in products if p.list_price != prices[p.pk]]
    for product in changed:
        product.list_price = prices[product.pk]
    if changed:
        for product in changed:
            product.updated_at = timezone.now()
        Product.objects.bulk_update(changed, ["list_price", "updated_at"])
    return len(changed)
