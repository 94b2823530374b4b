"""CSV imports of products and stock counts.

Each import checks the whole file first and writes nothing unless every row is right; the report
names each bad row (its line in the file, the header being line 1), column and reason. Large files
run as background jobs (inventory.tasks) that report their progress on the BackgroundJob.
"""

from inventory.imports.counts import (
    STOCK_COUNT_COLUMNS,
    STOCK_COUNT_EXAMPLE_ROWS,
    StockCountImportPlan,
    stock_count_import_check,
    stock_count_import_run,
    stock_count_import_write,
)
from inventory.imports.csvfile import MAX_ERRORS, MAX_FILE_BYTES, Column, example_csv
from inventory.imports.jobs import ImportOutcome, import_job_fail
from inventory.imports.products import PRODUCT_COLUMNS, PRODUCT_EXAMPLE_ROWS, ProductImportPlan, product_import_check
from inventory.imports.products_write import product_import_run, product_import_write

__all__ = [
    "MAX_ERRORS",
    "MAX_FILE_BYTES",
    "PRODUCT_COLUMNS",
    "PRODUCT_EXAMPLE_ROWS",
    "STOCK_COUNT_COLUMNS",
    "STOCK_COUNT_EXAMPLE_ROWS",
    "Column",
    "ImportOutcome",
    "ProductImportPlan",
    "StockCountImportPlan",
    "example_csv",
    "import_job_fail",
    "product_import_check",
    "product_import_run",
    "product_import_write",
    "stock_count_import_check",
    "stock_count_import_run",
    "stock_count_import_write",
]
