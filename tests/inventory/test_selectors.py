"""Reads behind the inventory pages: search, filters, keyset pages, availability, valuation, history."""

from decimal import Decimal

import pytest

from inventory import selectors, services
from inventory.services import StockLine
from tests.inventory.factories import (
    BinFactory,
    KitComponentFactory,
    KitFactory,
    ProductFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def receive(product, warehouse, quantity, bin_=None, unit_cost=None):
    services.stock_receive(
        warehouse_id=warehouse.pk,
        lines=[StockLine(product.pk, quantity, bin_.pk if bin_ else None, unit_cost)],
    )


def skus(page):
    return [row.product.sku for row in page.rows]


@pytest.fixture(params=["few matches", "many matches"])
def lookup_path(request, monkeypatch):
    """Searches and the low-stock filter take one of two query plans by how many rows match; run
    each test through both (a limit of 0 makes every match count as many)."""
    if request.param == "many matches":
        monkeypatch.setattr(selectors, "DIRECT_LOOKUP_LIMIT", 0)
        monkeypatch.setattr(selectors, "SEARCH_LOOKUP_LIMIT", 0)
    return request.param


@pytest.fixture
def catalogue():
    return {
        "hoodie": ProductFactory(sku="HD-0001", name="Black Cotton Hoodie", barcode="4006381333931"),
        "hoodie_grey": ProductFactory(sku="hd-0002", name="Grey Wool Hoodie"),
        "mug": ProductFactory(sku="MG-0001", name="Enamel Mug", barcode="5901234123457"),
        "tote": ProductFactory(sku="TT-0001", name="Canvas Tote Bag"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hd-", ["HD-0001", "hd-0002"]),  # SKU prefix, whatever the case
        ("HD-0002", ["hd-0002"]),
        ("5901234123457", ["MG-0001"]),  # the exact barcode
        ("590123412345", []),  # part of a barcode is no match
        ("hoodie", ["HD-0001", "hd-0002"]),  # a word of the name
        ("cotton hood", ["HD-0001"]),  # all words; the last one as typed so far
        ("Tote canv", ["TT-0001"]),  # in any order
        ("wool mug", []),
        ("zzz", []),
    ],
)
def test_search_by_sku_prefix_barcode_or_name_words(catalogue, lookup_path, query, expected):
    assert skus(selectors.product_list(query=query)) == expected


@pytest.mark.parametrize("query", ["a & b", "mug:*", "'", "!(", "<->", "100%", "_", "\\", "ünïcode ☃"])
def test_search_text_with_query_syntax_is_taken_literally(catalogue, lookup_path, query):
    selectors.product_list(query=query)  # no syntax error from to_tsquery or LIKE


def test_pages_follow_each_other_by_sku_without_gaps_or_repeats(lookup_path):
    for sku in ["C-1", "a-1", "B-1", "d-1", "E-1"]:
        ProductFactory(sku=sku)

    first = selectors.product_list(limit=2)
    second = selectors.product_list(limit=2, after=first.next_key)
    third = selectors.product_list(limit=2, after=second.next_key)

    assert (skus(first), skus(second), skus(third)) == (["a-1", "B-1"], ["C-1", "d-1"], ["E-1"])
    assert first.next_key == "B-1" and third.next_key is None


def test_pages_of_a_search_carry_the_search(catalogue, lookup_path):
    first = selectors.product_list(query="hd", limit=1)
    second = selectors.product_list(query="hd", limit=1, after=first.next_key)

    assert (skus(first), skus(second), second.next_key) == (["HD-0001"], ["hd-0002"], None)


def test_inactive_and_kit_filters(lookup_path):
    ProductFactory(sku="ACTIVE-1")
    ProductFactory(sku="OLD-1", is_active=False)
    KitFactory(sku="KIT-1")

    assert skus(selectors.product_list()) == ["ACTIVE-1", "KIT-1"]
    assert skus(selectors.product_list(inactive=True)) == ["OLD-1"]
    assert skus(selectors.product_list(kits=True)) == ["KIT-1"]


def test_availability_per_warehouse_and_low_stock_marks():
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    product = ProductFactory(sku="P-1")
    receive(product, leeds, 10)
    receive(product, berlin, 3)
    services.stock_reserve(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 4)])
    services.stock_level_set_reorder(
        product_id=product.pk, warehouse_id=berlin.pk, reorder_point=5, reorder_quantity=20
    )
    ProductFactory(sku="P-2")  # no stock anywhere

    page = selectors.product_list()

    assert [w.code for w in page.warehouses] == ["berlin", "leeds"]
    first, second = page.rows
    assert [(c.available, c.is_low) for c in first.cells] == [(3, True), (6, False)]
    assert [(c.available, c.is_low) for c in second.cells] == [(0, False), (0, False)]


def test_a_kit_is_available_as_often_as_its_scarcest_component_allows():
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    kit = KitFactory(sku="KIT-1")
    cup, saucer = ProductFactory(sku="CUP"), ProductFactory(sku="SAUCER")
    KitComponentFactory(kit=kit, component=cup, quantity=2)
    KitComponentFactory(kit=kit, component=saucer, quantity=1)
    receive(cup, leeds, 7)  # 3 kits' worth
    receive(saucer, leeds, 5)
    receive(cup, berlin, 9)  # no saucers in berlin
    KitFactory(sku="KIT-EMPTY")  # no components: none can be made

    rows = {row.product.sku: row for row in selectors.product_list(kits=True).rows}

    assert [c.available for c in rows["KIT-1"].cells] == [0, 3]  # berlin, leeds
    assert [c.available for c in rows["KIT-EMPTY"].cells] == [0, 0]

    stock = selectors.product_stock(product=kit)
    assert stock.kit_available == [0, 3]
    assert [(p.component.sku, p.quantity, p.available) for p in stock.parts] == [
        ("CUP", 2, [9, 7]),
        ("SAUCER", 1, [0, 5]),
    ]


def test_a_warehouse_narrows_the_columns_and_the_low_stock_filter(lookup_path):
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    low_in_leeds, low_in_berlin = ProductFactory(sku="L-1"), ProductFactory(sku="B-1")
    ProductFactory(sku="FINE-1")
    for product, warehouse in ((low_in_leeds, leeds), (low_in_berlin, berlin)):
        receive(product, warehouse, 2)
        services.stock_level_set_reorder(
            product_id=product.pk, warehouse_id=warehouse.pk, reorder_point=5, reorder_quantity=10
        )

    assert skus(selectors.product_list(low_stock=True)) == ["B-1", "L-1"]
    in_leeds = selectors.product_list(low_stock=True, warehouse_id=leeds.pk)
    assert skus(in_leeds) == ["L-1"]
    assert [w.code for w in in_leeds.warehouses] == ["leeds"]
    assert [c.available for c in in_leeds.rows[0].cells] == [2]


def test_the_number_of_queries_does_not_grow_with_the_page(django_assert_num_queries):
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")

    def add_products(count, start):
        for n in range(start, start + count):
            product = ProductFactory(sku=f"Q-{n:03d}")
            receive(product, leeds, 5)
            receive(product, berlin, 5)
            kit = KitFactory(sku=f"Q-{n:03d}-KIT")
            KitComponentFactory(kit=kit, component=product, quantity=2)

    add_products(2, 0)
    # products, kit components, levels (warehouses: one more)
    with django_assert_num_queries(4):
        small = selectors.product_list()
    add_products(20, 2)
    with django_assert_num_queries(4):
        large = selectors.product_list()

    assert (len(small.rows), len(large.rows)) == (4, 44)
    assert [c.available for c in large.rows[1].cells] == [2, 2]  # Q-000-KIT: 5 // 2 per warehouse


def test_product_stock_values_each_warehouse_at_cost_and_totals_the_rounded_values():
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    product = ProductFactory(sku="VAL-1", cost_price=Decimal("0.3333"))
    shelf = BinFactory(warehouse=leeds, code="A-01-1")
    receive(product, leeds, 7, shelf)
    receive(product, berlin, 5)

    stock = selectors.product_stock(product=product)

    assert [(row.level.warehouse.code, row.value_amount) for row in stock.levels] == [
        ("berlin", Decimal("1.67")),  # 1.6665
        ("leeds", Decimal("2.33")),  # 2.3331
    ]
    assert stock.value_amount == Decimal("4.00")
    assert [(s.bin.code, s.on_hand) for s in stock.bins] == [("A-01-1", 7)]


def test_movement_history_pages_by_id_newest_first():
    warehouse = WarehouseFactory()
    product = ProductFactory()
    for n in range(1, 6):
        services.stock_adjust(product_id=product.pk, warehouse_id=warehouse.pk, quantity=n, reason=f"r{n}")

    first = selectors.product_movements(product_id=product.pk, limit=2)
    second = selectors.product_movements(product_id=product.pk, limit=2, before=first.next_before)
    third = selectors.product_movements(product_id=product.pk, limit=2, before=second.next_before)

    reasons = [[m.reason for m in page.movements] for page in (first, second, third)]
    assert reasons == [["r5", "r4"], ["r3", "r2"], ["r1"]]
    assert third.next_before is None


def test_bins_offered_for_stock_operations_leave_out_quarantine_and_inactive_bins():
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    BinFactory(warehouse=leeds, code="A-2", pick_sequence=2)
    BinFactory(warehouse=leeds, code="A-1", pick_sequence=1)
    BinFactory(warehouse=leeds, code="Q", is_quarantine=True)
    BinFactory(warehouse=leeds, code="OLD", is_active=False)
    BinFactory(warehouse=berlin, code="B-1")

    assert [b.code for b in selectors.bin_list(warehouse_id=leeds.pk)] == ["A-1", "A-2"]
    assert [str(b) for b in selectors.bin_list()] == ["berlin/B-1", "leeds/A-1", "leeds/A-2"]


def test_product_by_sku_ignores_case_and_spaces():
    product = ProductFactory(sku="Abc-1")

    assert selectors.product_get_by_sku(sku=" aBC-1 ") == product
    assert selectors.product_get_by_sku(sku="abc") is None


def test_a_low_stock_page_carries_the_number_of_low_levels(monkeypatch):
    warehouse = WarehouseFactory()
    for n, on_hand in enumerate([1, 2, 3, 9]):
        product = ProductFactory(sku=f"L-{n}")
        receive(product, warehouse, on_hand)
        services.stock_level_set_reorder(
            product_id=product.pk, warehouse_id=warehouse.pk, reorder_point=5, reorder_quantity=10
        )

    first = selectors.low_stock_page(size=2)
    second = selectors.low_stock_page(size=2, number=2)
    beyond = selectors.low_stock_page(size=2, number=3)

    assert [level.product.sku for level in first.levels] == ["L-0", "L-1"]  # most short first
    assert (first.total, first.total_is_more, first.has_next) == (3, False, True)
    assert ([level.product.sku for level in second.levels], second.has_next) == (["L-2"], False)
    assert (beyond.levels, beyond.total) == ([], 3)

    monkeypatch.setattr(selectors, "LOW_STOCK_COUNT_LIMIT", 2)
    capped = selectors.low_stock_page(size=2)
    assert (capped.total, capped.total_is_more) == (2, True)
