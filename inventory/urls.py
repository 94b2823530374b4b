from django.urls import path

from inventory.views import csv as csv_views
from inventory.views import stock as stock_views

app_name = "inventory"

urlpatterns = [
    # Catalogue, stock, adjustments, transfers, counts, low stock (inventory/views/stock.py)
    # -- stock routes --
    path("", stock_views.product_list, name="product-list"),
    path("products/<int:product_id>/", stock_views.product_detail, name="product-detail"),
    path("products/<int:product_id>/movements/", stock_views.product_movements, name="product-movements"),
    path("products/<int:product_id>/adjust/", stock_views.product_adjust, name="product-adjust"),
    path("products/<int:product_id>/reorder/", stock_views.product_reorder, name="product-reorder"),
    path("transfers/new/", stock_views.transfer_create, name="transfer-create"),
    path("counts/", stock_views.count_start, name="count-start"),
    path("counts/bins/<int:bin_id>/", stock_views.bin_count, name="bin-count"),
    path("bins/options/", stock_views.bin_options, name="bin-options"),
    path("low-stock/", stock_views.low_stock, name="low-stock"),
    path("low-stock/card/", stock_views.low_stock_card, name="low-stock-card"),
    # CSV imports and exports (inventory/views/csv.py)
    # -- csv routes --
    path("import/products/", csv_views.product_import, name="product-import"),
    path("import/products/example.csv", csv_views.product_import_example, name="product-import-example"),
    path("import/stock-counts/", csv_views.stock_count_import, name="stock-count-import"),
    path(
        "import/stock-counts/example.csv",
        csv_views.stock_count_import_example,
        name="stock-count-import-example",
    ),
    path("import/<int:job_id>/file", csv_views.import_file, name="import-file"),
    path("import/<int:job_id>/again", csv_views.import_again, name="import-again"),
    path("export/stock-levels.csv", csv_views.stock_level_export, name="stock-level-export"),
]
