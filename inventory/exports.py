"""CSV exports of inventory data, streamed in chunks so that a large catalogue never sits in memory."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from backoffice.money import quantize
from inventory.models import StockLevel

STOCK_LEVEL_EXPORT_COLUMNS = (
    "sku",
    "name",
    "warehouse",
    "on_hand",
    "reserved",
    "available",
    "quarantined",
    "incoming",
    "reorder_point",
    "reorder_quantity",
    "unit_cost",
    "value",
)

# Rows written to the response at a time: one write per row would make streaming very slow.
_ROWS_PER_CHUNK = 500
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def stock_level_export_rows(*, warehouse_id: int | None = None) -> Iterator[list]:
    """One row per stock level (product and warehouse), by SKU then warehouse code.

    `value` is the stock on hand at the product's moving-average unit cost, rounded to the cent.
    """
    levels = StockLevel.objects.order_by("product__sku", "warehouse__code", "pk")
    if warehouse_id is not None:
        levels = levels.filter(warehouse_id=warehouse_id)
    fields = (
        "product__sku",
        "product__name",
        "warehouse__code",
        "on_hand",
        "reserved",
        "available",
        "quarantined",
        "incoming",
        "reorder_point",
        "reorder_quantity",
        "product__cost_price",
    )
    for sku, name, warehouse, *figures, unit_cost in levels.values_list(*fields).iterator(chunk_size=2000):
        on_hand = figures[0]
        yield [_text(sku), _text(name), _text(warehouse), *figures, unit_cost, quantize(unit_cost * on_hand)]


def csv_stream(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The text of a CSV file in chunks, for a StreamingHttpResponse.

    It starts with a byte-order mark: without one, Excel reads UTF-8 as the local code page and
    garbles every accented name.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
