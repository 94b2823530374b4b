"""Inventory figures: queries per 3-line reservation, and the server time of the product list with
100,000 products and of the movement history of a product with 1,000,000 movements.

Builds its own database (backoffice_bench, see bench/_setup.py) with set-based SQL: the products,
their stock levels with matching receipt movements (so the ledger invariant holds), and one product
with a million movements. Pages are rendered in process with Django's test client, so the times are
server time (view, queries and template), without the network.

    python bench/inventory_figures.py
"""

from _setup import django_setup, report, report_timings, timed

PRODUCTS = 100_000
HISTORY = 1_000_000


def build_data() -> dict:
    from django.db import connection

    from inventory.models import Bin, Product, TaxClass, Warehouse

    tax = TaxClass.objects.create(code="standard", name="Standard")
    warehouses = [
        Warehouse.objects.create(code=code, name=code, line1="1 Road", city="Leeds", postal_code="LS1", country="GB")
        for code in ("LDS", "BRS", "GLA")
    ]
    Bin.objects.bulk_create(
        [Bin(warehouse=w, code=f"A-{i:02d}", pick_sequence=i) for w in warehouses for i in range(20)]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_product (sku, name, barcode, tax_class_id, weight_kg, length_cm, width_cm,
                height_cm, cost_price, list_price, is_active, is_kit, created_at, updated_at)
            SELECT 'BN-' || lpad(i::text, 6, '0'),
                   (ARRAY['Stoneware mug', 'Dinner plate', 'Pasta bowl', 'Frying pan', 'Balloon whisk'])[1 + i %% 5]
                       || ' ' || (ARRAY['sage', 'charcoal', 'oat', 'ink', 'sand'])[1 + (i / 5) %% 5] || ' ' || i,
                   CASE WHEN i %% 3 = 0 THEN '50' || lpad(i::text, 11, '0') ELSE '' END,
                   %s, 0.5, 10, 10, 10, 5, 12, i %% 50 <> 0, false, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [tax.pk, PRODUCTS],
        )
        cursor.execute(
            """
            INSERT INTO inventory_stocklevel (product_id, warehouse_id, on_hand, reserved, quarantined, incoming,
                reorder_point, reorder_quantity, updated_at)
            SELECT p.id, w.id, (p.id * 7 + w.id) % 200, 0, 0, 0,
                   CASE WHEN p.id % 10 = 0 THEN 60 ELSE 0 END, 100, now()
            FROM inventory_product p CROSS JOIN inventory_warehouse w
            """
        )
        cursor.execute(
            """
            INSERT INTO inventory_stockmovement (product_id, warehouse_id, kind, quantity, unit_cost, reason,
                source_type, source_id, operation, created_at)
            SELECT product_id, warehouse_id, 'receipt', on_hand, 5, 'Opening stock', '', '', gen_random_uuid(), now()
            FROM inventory_stocklevel WHERE on_hand > 0
            """
        )
        busy = Product.objects.order_by("pk").first()
        # A million movements on one product: receipts of 2 and adjustments of -1, alternating.
        cursor.execute(
            """
            INSERT INTO inventory_stockmovement (product_id, warehouse_id, kind, quantity, unit_cost, reason,
                source_type, source_id, operation, created_at)
            SELECT %s, %s, CASE WHEN i %% 2 = 0 THEN 'receipt' ELSE 'adjustment' END,
                   CASE WHEN i %% 2 = 0 THEN 2 ELSE -1 END, 5, 'bench', '', '', gen_random_uuid(),
                   now() - make_interval(secs => %s - i)
            FROM generate_series(1, %s) AS i
            """,
            [busy.pk, warehouses[0].pk, HISTORY, HISTORY],
        )
        cursor.execute(
            "UPDATE inventory_stocklevel SET on_hand = on_hand + %s WHERE product_id = %s AND warehouse_id = %s",
            [HISTORY // 2, busy.pk, warehouses[0].pk],
        )
        cursor.execute("ANALYZE")
    return {"busy": busy, "warehouses": warehouses}


def reservation_queries(warehouses) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory import services
    from inventory.models import Product
    from inventory.services import StockLine

    products = list(Product.objects.filter(is_active=True).order_by("pk")[10:13])
    for product in products:
        services.stock_receive(warehouse_id=warehouses[0].pk, lines=[StockLine(product.pk, 50)])
    lines = [StockLine(p.pk, 1) for p in products]
    with CaptureQueriesContext(connection) as queries:
        services.stock_reserve(warehouse_id=warehouses[0].pk, lines=lines, source_type="bench", source_id="1")
    report("reserve_3_lines_queries", _statements(queries), "queries")
    with CaptureQueriesContext(connection) as queries:
        services.stock_reserve(
            warehouse_id=warehouses[0].pk, lines=[*lines, *lines[:1]], source_type="bench", source_id="2"
        )
    report("reserve_4_lines_queries", _statements(queries), "queries")
    samples = timed(
        lambda: services.stock_reserve(warehouse_id=warehouses[0].pk, lines=lines, source_type="bench"), repeat=40
    )
    report_timings("reserve_3_lines", samples)


def _statements(queries) -> int:
    """SQL statements sent, without transaction control (BEGIN, COMMIT, savepoints)."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    return len([q for q in queries.captured_queries if not q["sql"].lstrip().startswith(control)])


def page_timings(busy) -> None:
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    user = User.objects.create_user("bench", password="bench-password")
    user.groups.add(Group.objects.get(name="Warehouse"))
    client = Client()
    client.force_login(user)

    def get(url, **params):
        def call():
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    product_list = reverse("inventory:product-list")
    report_timings("product_list_first_page", timed(get(product_list), repeat=30))
    report_timings("product_list_deep_page", timed(get(product_list, after="BN-090000"), repeat=30))
    report_timings("product_list_sku_prefix", timed(get(product_list, q="BN-0420"), repeat=30))
    report_timings("product_list_name_words", timed(get(product_list, q="pasta oat"), repeat=30))
    report_timings("product_list_barcode", timed(get(product_list, q="5000000042003"), repeat=30))
    report_timings("product_list_low_stock", timed(get(product_list, low="on"), repeat=30))
    detail = reverse("inventory:product-detail", args=[busy.pk])
    report_timings("product_detail_1m_movements", timed(get(detail), repeat=30))
    movements = reverse("inventory:product-movements", args=[busy.pk])
    report_timings("movement_history_deep_page", timed(get(movements, before="500000"), repeat=30))


def main() -> None:
    django_setup(fresh=True)
    import time

    started = time.monotonic()
    data = build_data()
    report("data_build", f"{time.monotonic() - started:.0f}", "s")
    report("products", PRODUCTS, "products")
    report("busy_product_movements", HISTORY, "movements")
    reservation_queries(data["warehouses"])
    page_timings(data["busy"])


if __name__ == "__main__":
    main()
