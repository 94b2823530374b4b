"""Stock count import: quantities counted per bin, checked row by row, then posted as count
corrections through services.stock_count_bins, all in one transaction or none."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Upper

from inventory.exceptions import ImportRejected, InsufficientStock, InvalidStockOperation, RowError
from inventory.imports.csvfile import (
    CellError,
    Column,
    Errors,
    Progress,
    chunked,
    database_upper,
    plural,
    read_rows,
    refuse,
    report_progress,
    whole_number,
)
from inventory.imports.jobs import ImportOutcome, import_job_run
from inventory.models import Bin, BinStock, Product, StockLevel, Warehouse
from inventory.services import stock_count_bins

# StockLevel.on_hand is a 32-bit integer; a count this large is a typing mistake, not stock.
MAX_COUNTED = 1_000_000_000

STOCK_COUNT_COLUMNS = (
    Column("warehouse", True, "Warehouse code."),
    Column("bin", True, "Code of a bin in that warehouse; not a quarantine bin."),
    Column("sku", True, "The product's SKU (compared without regard to case); not a kit."),
    Column("counted", True, "Units counted in the bin: a whole number, 0 or more. Each SKU once per bin."),
)

STOCK_COUNT_EXAMPLE_ROWS = (
    ("leeds", "A-01-1", "BOLT-M8", "40"),
    ("leeds", "A-01-1", "NUT-M8", "0"),
    ("leeds", "A-01-2", "BOLT-M8", "12"),
)


_CELL_NAMES = {"warehouse": "warehouse", "bin": "bin", "sku": "SKU", "counted": "count"}


@dataclass(frozen=True)
class CountRow:
    line: int
    warehouse_id: int
    warehouse: str
    bin_id: int
    bin: str
    product_id: int
    sku: str
    counted: int


@dataclass
class StockCountImportPlan:
    rows: list[CountRow]


class _Codes:
    """Rows (annotated with `key`, their code upper-cased by the database) found by code within a
    scope: the exact spelling first, else the one code equal to it without regard to case."""

    def __init__(self, items, scope: str | None, upper: dict[str, str]):
        self.upper = upper
        self.exact = {}
        self.folded = defaultdict(list)
        for item in items:
            where = getattr(item, scope) if scope else None
            self.exact[(where, item.code)] = item
            self.folded[(where, item.key)].append(item)

    def get(self, code: str, where=None):
        if (where, code) in self.exact:
            return self.exact[(where, code)]
        candidates = self.folded.get((where, self.upper.get(code)), [])
        return candidates[0] if len(candidates) == 1 else None


def stock_count_import_check(*, data: bytes, progress: Progress | None = None) -> StockCountImportPlan:
    """Check a stock count CSV file completely, reading the database but writing nothing.

    Raises ImportRejected naming every bad row, column and reason.
    """
    errors = Errors()
    rows = read_rows(data, STOCK_COUNT_COLUMNS, errors)
    upper = database_upper([row.cells[name] for row in rows for name in ("warehouse", "bin", "sku") if row.cells[name]])
    warehouses = _Codes(Warehouse.objects.annotate(key=Upper("code")).only("pk", "code"), None, upper)
    bin_rows = _bins({upper[row.cells["bin"]] for row in rows if row.cells["bin"]})
    bins = _Codes(bin_rows, "warehouse_id", upper)
    bin_homes = defaultdict(set)
    for bin_ in bin_rows:
        bin_homes[bin_.key].add(bin_.warehouse.code)
    products = _products({upper[row.cells["sku"]] for row in rows if row.cells["sku"]})

    valid: list[CountRow] = []
    first_line: dict[tuple[int, int], int] = {}
    for done, row in enumerate(rows, start=1):
        report_progress(progress, done, len(rows))
        cells = row.cells
        for name, what in _CELL_NAMES.items():
            if not cells[name]:
                errors.add(row.line, name, f"The {what} is empty.")
        warehouse = warehouses.get(cells["warehouse"]) if cells["warehouse"] else None
        if cells["warehouse"] and warehouse is None:
            errors.add(row.line, "warehouse", f"Unknown warehouse {cells['warehouse']!r}.")
        bin_ = _bin(row.line, cells["bin"], warehouse, bins, bin_homes, errors)
        product = products.get(upper.get(cells["sku"])) if cells["sku"] else None
        if cells["sku"] and product is None:
            errors.add(row.line, "sku", f"Unknown SKU {cells['sku']!r}.")
        elif product is not None and product.is_kit:
            errors.add(
                row.line,
                "sku",
                f"{product.sku} is a kit; kits have no stock of their own, count their components.",
            )
            product = None
        counted = None
        if cells["counted"]:
            try:
                counted = whole_number(cells["counted"], maximum=MAX_COUNTED)
            except CellError as error:
                errors.add(row.line, "counted", str(error))
        if bin_ is None or product is None or counted is None:
            continue
        pair = (bin_.pk, product.pk)
        if pair in first_line:
            errors.add(
                row.line,
                "sku",
                f"{product.sku} in bin {bin_.code} is also counted on line {first_line[pair]}.",
            )
            continue
        first_line[pair] = row.line
        valid.append(
            CountRow(row.line, warehouse.pk, warehouse.code, bin_.pk, bin_.code, product.pk, product.sku, counted)
        )
    _check_reserved(valid, errors)
    if errors:
        raise errors.rejected()
    return StockCountImportPlan(rows=valid)


def _bins(keys: set[str]) -> list[Bin]:
    found = []
    for chunk in chunked(sorted(keys)):
        found += Bin.objects.annotate(key=Upper("code")).filter(key__in=chunk).select_related("warehouse")
    return found


def _products(keys: set[str]) -> dict[str, Product]:
    found = {}
    for chunk in chunked(sorted(keys)):
        products = Product.objects.annotate(key=Upper("sku")).filter(key__in=chunk).only("pk", "sku", "is_kit")
        found.update((product.key, product) for product in products)
    return found


def _bin(line, code, warehouse, bins, bin_homes, errors) -> Bin | None:
    if not code or warehouse is None:
        return None
    bin_ = bins.get(code, warehouse.pk)
    if bin_ is None:
        elsewhere = sorted(bin_homes.get(bins.upper.get(code), ()))
        hint = f" (there is one in {', '.join(elsewhere)})" if elsewhere else ""
        errors.add(line, "bin", f"Warehouse {warehouse.code} has no bin {code!r}{hint}.")
        return None
    if bin_.is_quarantine:
        errors.add(line, "bin", f"{bin_.code} is a quarantine bin; its stock is released or scrapped, not counted.")
        return None
    return bin_


def _check_reserved(rows: list[CountRow], errors: Errors) -> None:
    """Counts must not leave a warehouse with less on hand than is reserved for orders (the service
    refuses that too; checking here names the line)."""
    if not rows:
        return
    product_ids = sorted({row.product_id for row in rows})
    bin_ids = sorted({row.bin_id for row in rows})
    warehouse_ids = sorted({row.warehouse_id for row in rows})
    in_bins, levels = {}, {}
    for chunk in chunked(product_ids):
        in_bins.update(
            ((product_id, bin_id), on_hand)
            for product_id, bin_id, on_hand in BinStock.objects.filter(
                product_id__in=chunk, bin_id__in=bin_ids
            ).values_list("product_id", "bin_id", "on_hand")
        )
        levels.update(
            ((product_id, warehouse_id), (on_hand, reserved))
            for product_id, warehouse_id, on_hand, reserved in StockLevel.objects.filter(
                product_id__in=chunk, warehouse_id__in=warehouse_ids
            ).values_list("product_id", "warehouse_id", "on_hand", "reserved")
        )
    groups = defaultdict(list)
    for row in rows:
        groups[(row.product_id, row.warehouse_id)].append(row)
    for pair, group in groups.items():
        on_hand, reserved = levels.get(pair, (0, 0))
        after = on_hand + sum(row.counted - in_bins.get((row.product_id, row.bin_id), 0) for row in group)
        if after < reserved:
            row = group[0]
            errors.add(
                row.line,
                "counted",
                f"These counts would leave {after} of {row.sku} on hand in {row.warehouse}, fewer than the "
                f"{reserved} reserved for orders; release or reallocate the reservations first.",
            )


# --- writing --------------------------------------------------------------------------------------


def stock_count_import_write(
    *, plan: StockCountImportPlan, actor=None, reason: str = "Stock count import"
) -> ImportOutcome:
    """Post the counts of a checked file, bin by bin in id order, in one transaction: all or none.

    Raises ImportRejected when the stock changed since the check so that a count cannot be posted.
    """
    try:
        with transaction.atomic():
            return _write(plan, actor, reason)
    except InsufficientStock as error:
        raise _shortages(error, plan) from error
    except InvalidStockOperation as error:
        raise refuse(f"{error} Nothing was posted.") from error


def _write(plan: StockCountImportPlan, actor, reason: str) -> ImportOutcome:
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    rows = {}
    for row in plan.rows:
        counts[row.bin_id][row.product_id] = row.counted
        rows[(row.bin_id, row.product_id)] = row
    variances = []
    # One operation for all bins: the service locks every level and bin in one fixed order.
    for variance in stock_count_bins(counts=counts, actor=actor, reason=reason):
        if variance.variance:
            row = rows[(variance.bin_id, variance.product_id)]
            variances.append(
                {
                    "row": row.line,
                    "warehouse": row.warehouse,
                    "bin": row.bin,
                    "sku": variance.sku,
                    "expected": variance.expected,
                    "counted": variance.counted,
                    "variance": variance.variance,
                }
            )
    variances.sort(key=lambda variance: variance["row"])
    result = {
        "rows": len(plan.rows),
        "bins": len(counts),
        "changed": len(variances),
        "units_added": sum(v["variance"] for v in variances if v["variance"] > 0),
        "units_removed": -sum(v["variance"] for v in variances if v["variance"] < 0),
        "variances": variances,
    }
    return ImportOutcome(_summary(result), result)


def _shortages(error: InsufficientStock, plan: StockCountImportPlan) -> ImportRejected:
    lines = {}
    for row in plan.rows:
        lines.setdefault((row.sku, row.warehouse), row.line)
    return ImportRejected(
        [
            RowError(
                lines.get((shortage.sku, shortage.warehouse)),
                "counted",
                f"Stock changed since the file was checked: {shortage}; counts cannot leave less on hand "
                "than is reserved for orders.",
            )
            for shortage in error.shortages
        ]
    )


def _summary(result: dict) -> str:
    counted = f"{plural(result['rows'], 'count')} in {plural(result['bins'], 'bin')} posted"
    if not result["changed"]:
        return f"{counted}; all matched the stock on record."
    return (
        f"{counted}; {result['changed']:,} differed from the stock on record "
        f"({result['units_added']:,} units found, {result['units_removed']:,} missing)."
    )


def stock_count_import_run(*, job_id: int) -> None:
    """Post the count file kept with a BackgroundJob (the body of stock_count_import_task)."""
    import_job_run(job_id=job_id, check=stock_count_import_check, write=_write_for_job)


def _write_for_job(*, plan: StockCountImportPlan, job) -> ImportOutcome:
    filename = job.params.get("filename") or job.input_file.name.rsplit("/", 1)[-1]
    reason = f"Count import #{job.pk}: {filename}"
    return stock_count_import_write(plan=plan, actor=job.created_by, reason=reason[:200])
