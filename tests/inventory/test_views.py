"""The inventory staff pages: permissions, the stock forms (which go through the services), search,
pages, the low-stock list and its dashboard card, and the admin."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import roles
from inventory import selectors, services
from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.services import StockLine
from tests.inventory.factories import (
    BinFactory,
    KitComponentFactory,
    KitFactory,
    ProductFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked():
    """10 units of one product in bin A-01-1 of leeds; berlin is empty."""
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    shelf = BinFactory(warehouse=leeds, code="A-01-1")
    product = ProductFactory(sku="TS-BLK-M", name="Black T-Shirt M", barcode="4006381333931")
    services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 10, shelf.pk)])
    return product, leeds, berlin, shelf


def level(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


# --- access ---------------------------------------------------------------------------------------


def test_the_inventory_section_links_to_the_product_list(client_as):
    page = client_as(roles.CLERK).get(reverse("dashboard")).content.decode()

    assert f'href="{reverse("inventory:product-list")}"' in page
    assert reverse("inventory:product-list") == "/inventory/"


@pytest.mark.parametrize(
    "name",
    ["inventory:product-list", "inventory:low-stock", "inventory:count-start", "inventory:transfer-create"],
)
def test_pages_require_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.CLERK, 200), (roles.BUYER, 200), (roles.ACCOUNTANT, 200), (roles.WAREHOUSE, 200), (None, 403)],
)
def test_who_may_see_products(client_as, stocked, role, status):
    product = stocked[0]
    client = client_as(role)

    assert client.get(reverse("inventory:product-list")).status_code == status
    assert client.get(reverse("inventory:product-detail", args=[product.pk])).status_code == status
    assert client.get(reverse("inventory:low-stock")).status_code == status


def test_a_clerk_sees_stock_but_may_not_change_it(client_as, stocked):
    product, leeds, _, _ = stocked
    client = client_as(roles.CLERK)
    adjust = reverse("inventory:product-adjust", args=[product.pk])

    detail = client.get(reverse("inventory:product-detail", args=[product.pk])).content.decode()
    assert "Adjust stock" not in detail
    assert client.get(adjust).status_code == 403
    response = client.post(adjust, {"warehouse": leeds.pk, "quantity": 5, "reason": "found"})
    assert response.status_code == 403
    assert client.get(reverse("inventory:transfer-create")).status_code == 403
    assert client.get(reverse("inventory:count-start")).status_code == 403
    assert client.get(reverse("inventory:product-reorder", args=[product.pk])).status_code == 403
    assert level(product, leeds).on_hand == 10


# --- adjustments ----------------------------------------------------------------------------------


def test_a_warehouse_user_adjusts_stock_with_a_reason(client_as, stocked):
    product, leeds, _, shelf = stocked
    client = client_as(roles.WAREHOUSE, username="wes")

    response = client.post(
        reverse("inventory:product-adjust", args=[product.pk]),
        {"warehouse": leeds.pk, "bin": shelf.pk, "quantity": "-3", "reason": "Crushed in transit"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("inventory:product-detail", args=[product.pk])
    page = response.content.decode()
    assert "Adjusted TS-BLK-M by -3 in leeds." in page
    assert '<td class="num on-hand">7</td>' in page
    assert "Crushed in transit" in page
    assert level(product, leeds).on_hand == 7
    movement = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
    assert (movement.quantity, movement.reason, movement.bin, movement.actor.username) == (
        -3,
        "Crushed in transit",
        shelf,
        "wes",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "5", "reason": ""}, "This field is required."),
        ({"quantity": "5", "reason": "   "}, "This field is required."),
        ({"quantity": "0", "reason": "typo"}, "Adjust by a whole number other than zero."),
        ({"quantity": "1.5", "reason": "typo"}, "Enter a whole number."),
        ({"quantity": "4006381333931", "reason": "scanned"}, "Ensure this value is less than or equal to 1000000."),
        (
            {"quantity": "-11", "reason": "lost"},
            "Not enough stock: TS-BLK-M in leeds: requested 11, on hand 10",
        ),
    ],
)
def test_bad_adjustments_show_the_error_and_change_nothing(client_as, stocked, data, message):
    product, leeds, _, _ = stocked

    response = client_as(roles.WAREHOUSE).post(
        reverse("inventory:product-adjust", args=[product.pk]), {"warehouse": leeds.pk, **data}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert level(product, leeds).on_hand == 10
    assert not StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT).exists()


def test_an_adjustment_cannot_take_away_reserved_stock(client_as, stocked):
    product, leeds, _, _ = stocked
    services.stock_reserve(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 8)])

    response = client_as(roles.WAREHOUSE).post(
        reverse("inventory:product-adjust", args=[product.pk]),
        {"warehouse": leeds.pk, "quantity": "-5", "reason": "damaged"},
    )

    assert "requested 5, unreserved on hand 2" in response.content.decode()
    assert (level(product, leeds).on_hand, level(product, leeds).reserved) == (10, 8)
    assert not StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT).exists()


def test_an_adjustment_refuses_a_bin_of_another_warehouse(client_as, stocked):
    product, _, berlin, shelf = stocked

    response = client_as(roles.WAREHOUSE).post(
        reverse("inventory:product-adjust", args=[product.pk]),
        {"warehouse": berlin.pk, "bin": shelf.pk, "quantity": "2", "reason": "found"},
    )

    assert response.status_code == 200
    assert "Choose a bin of this warehouse" in response.content.decode()
    assert not StockLevel.objects.filter(product=product, warehouse=berlin).exists()


def test_the_bin_select_follows_the_warehouse(client_as, stocked):
    _, leeds, berlin, _ = stocked
    BinFactory(warehouse=berlin, code="B-07")
    BinFactory(warehouse=berlin, code="QUARANTINE", is_quarantine=True)
    client = client_as(roles.WAREHOUSE)

    berlin_options = client.get(reverse("inventory:bin-options"), {"warehouse": berlin.pk}).content.decode()
    leeds_options = client.get(reverse("inventory:bin-options"), {"from_warehouse": leeds.pk}).content.decode()

    assert "B-07" in berlin_options and "A-01-1" not in berlin_options and "QUARANTINE" not in berlin_options
    assert "A-01-1" in leeds_options and "B-07" not in leeds_options


# --- transfers and counts -------------------------------------------------------------------------


def test_a_transfer_moves_stock_between_warehouses(client_as, stocked):
    product, leeds, berlin, shelf = stocked
    target = BinFactory(warehouse=berlin, code="B-01-1")
    client = client_as(roles.WAREHOUSE)
    url = reverse("inventory:transfer-create")
    assert 'value="TS-BLK-M"' in client.get(url, {"product": product.pk}).content.decode()

    response = client.post(
        url,
        {
            "product": "ts-blk-m",
            "from_warehouse": leeds.pk,
            "from_bin": shelf.pk,
            "to_warehouse": berlin.pk,
            "to_bin": target.pk,
            "quantity": "4",
            "reason": "Rebalance",
        },
        follow=True,
    )

    assert "Transferred 4 x TS-BLK-M from leeds to berlin." in response.content.decode()
    assert (level(product, leeds).on_hand, level(product, berlin).on_hand) == (6, 4)
    kinds = StockMovement.objects.filter(reason="Rebalance").values_list("kind", "quantity", "bin__code")
    assert sorted(kinds) == [("transfer_in", 4, "B-01-1"), ("transfer_out", -4, "A-01-1")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": "11"}, "Not enough stock: TS-BLK-M in leeds: requested 11"),
        ({"to_warehouse": "from"}, "Choose a warehouse other than the one the stock leaves."),
        ({"product": "NOPE"}, "No product has the SKU NOPE."),
        ({"quantity": "0"}, "Ensure this value is greater than or equal to 1."),
    ],
)
def test_a_bad_transfer_changes_nothing(client_as, stocked, change, message):
    product, leeds, berlin, _ = stocked
    data = {"product": "TS-BLK-M", "from_warehouse": leeds.pk, "to_warehouse": berlin.pk, "quantity": "3"}
    data.update(change)
    if data["to_warehouse"] == "from":
        data["to_warehouse"] = leeds.pk

    response = client_as(roles.WAREHOUSE).post(reverse("inventory:transfer-create"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert level(product, leeds).on_hand == 10
    assert StockMovement.objects.count() == 1  # the receipt


def test_a_cycle_count_books_the_variances(client_as, stocked):
    product, leeds, _, shelf = stocked
    stray = ProductFactory(sku="STRAY-1")
    client = client_as(roles.WAREHOUSE)

    start = client.get(reverse("inventory:count-start"), {"warehouse": leeds.pk, "bin": shelf.pk})
    assert start.url == reverse("inventory:bin-count", args=[shelf.pk])
    sheet = client.get(start.url).content.decode()
    assert "TS-BLK-M" in sheet and f'name="count_{product.pk}"' in sheet

    response = client.post(start.url, {f"count_{product.pk}": "7", "add_sku_0": "stray-1", "add_count_0": "2"})

    page = response.content.decode()
    assert "Count of leeds/A-01-1 posted: 2 of 2 counted changed." in page
    variances = page.split('id="variances"')[1].split("</section>")[0]
    assert '<span class="badge bad">-3</span>' in variances and '<span class="badge warn">+2</span>' in variances
    assert (level(product, leeds).on_hand, level(stray, leeds).on_hand) == (7, 2)
    corrections = StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION)
    assert sorted(corrections.values_list("product__sku", "quantity")) == [("STRAY-1", 2), ("TS-BLK-M", -3)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter at least one counted quantity."),
        ({"count": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"add_sku_0": "NOPE", "add_count_0": "1"}, "No product has the SKU NOPE."),
        ({"add_sku_0": "TS-BLK-M", "add_count_0": "1", "count": "3"}, "TS-BLK-M is already counted above."),
        ({"add_sku_0": "TS-BLK-M"}, "Enter how many of TS-BLK-M were counted."),
    ],
)
def test_a_bad_count_changes_nothing(client_as, stocked, data, message):
    product, leeds, _, shelf = stocked
    if "count" in data:
        data[f"count_{product.pk}"] = data.pop("count")

    response = client_as(roles.WAREHOUSE).post(reverse("inventory:bin-count", args=[shelf.pk]), data)

    assert message in response.content.decode()
    assert level(product, leeds).on_hand == 10
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).exists()


def test_a_count_below_the_reserved_quantity_is_refused(client_as, stocked):
    product, leeds, _, shelf = stocked
    services.stock_reserve(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 6)])

    response = client_as(roles.WAREHOUSE).post(
        reverse("inventory:bin-count", args=[shelf.pk]), {f"count_{product.pk}": "4"}
    )

    assert "Not enough stock" in response.content.decode()
    assert level(product, leeds).on_hand == 10


# --- reorder points -------------------------------------------------------------------------------


def test_the_reorder_point_is_set_through_the_service(client_as, stocked):
    product, leeds, _, _ = stocked
    client = client_as(roles.WAREHOUSE)
    url = reverse("inventory:product-reorder", args=[product.pk])

    response = client.post(url, {"warehouse": leeds.pk, "reorder_point": "12", "reorder_quantity": "40"}, follow=True)

    assert "Reorder point of TS-BLK-M in leeds saved." in response.content.decode()
    assert (level(product, leeds).reorder_point, level(product, leeds).reorder_quantity) == (12, 40)
    form = client.get(url, {"warehouse": leeds.pk}).content.decode()
    assert 'name="reorder_point" value="12"' in form


# --- the product list -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [("ts-bl", True), ("4006381333931", True), ("shirt", True), ("black t-sh", True), ("hoodie", False)],
)
def test_the_list_searches_by_sku_barcode_and_name(client_as, stocked, query, found):
    page = client_as(roles.CLERK).get(reverse("inventory:product-list"), {"q": query}).content.decode()

    assert ("TS-BLK-M" in page) is found


def test_the_list_answers_htmx_with_the_results_only(client_as, stocked):
    response = client_as(roles.CLERK).get(reverse("inventory:product-list"), {"q": "ts"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="results"')
    assert "TS-BLK-M" in page and "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_going_back_to_a_list_htmx_no_longer_holds_gets_the_whole_page(client_as, stocked):
    response = client_as(roles.CLERK).get(
        reverse("inventory:product-list"),
        {"q": "ts"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert "<html" in response.content.decode()


def test_the_list_shows_available_stock_per_warehouse(client_as, stocked):
    product, leeds, _, _ = stocked
    services.stock_reserve(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 4)])

    page = client_as(roles.CLERK).get(reverse("inventory:product-list")).content.decode()

    row = page.split("TS-BLK-M</a>")[1].split("</tr>")[0]
    assert '<td class="num zero">0</td>' in row  # berlin
    assert '<td class="num">6</td>' in row  # leeds: 10 on hand, 4 reserved


def test_the_next_page_link_carries_the_last_key_and_the_filters(client_as, monkeypatch):
    monkeypatch.setattr(selectors, "PRODUCT_PAGE_SIZE", 2)
    for sku in ["A-1", "A-2", "A-3", "B-1"]:
        ProductFactory(sku=sku)
    client = client_as(roles.CLERK)

    first = client.get(reverse("inventory:product-list"), {"q": "a-"})
    assert first.context["page"].next_key == "A-2"
    assert 'href="/inventory/?q=a-&amp;after=A-2"' in first.content.decode()
    second = client.get(reverse("inventory:product-list"), {"q": "a-", "after": "A-2"})

    assert [row.product.sku for row in second.context["page"].rows] == ["A-3"]
    assert second.context["page"].next_key is None
    assert "Next page" not in second.content.decode() and "First page" in second.content.decode()


def test_the_list_costs_the_same_number_of_queries_for_few_or_many_rows(client_as, django_assert_num_queries):
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    client = client_as(roles.CLERK)

    def add_products(start, count):
        for n in range(start, start + count):
            product = ProductFactory(sku=f"N-{n:03d}")
            for warehouse in (leeds, berlin):
                services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3)])
            KitComponentFactory(kit=KitFactory(sku=f"N-{n:03d}-KIT"), component=product)

    def rows_rendered(count_queries):
        with django_assert_num_queries(count_queries):
            page = client.get(reverse("inventory:product-list"), {"q": "n-"}).content.decode()
        return page.count('<tr>\n        <td class="nowrap">')

    add_products(0, 2)
    # session, user, permissions (2); search ids, products, warehouses, kit components, levels; the
    # warehouse filter's options
    assert rows_rendered(10) == 4
    add_products(2, 23)
    assert rows_rendered(10) == 50


# --- product page and history ---------------------------------------------------------------------


def test_the_product_page_shows_levels_bins_value_and_history(client_as, stocked):
    product, leeds, _, _ = stocked
    product.cost_price = Decimal("1234.5")
    product.save(update_fields=["cost_price"])
    services.stock_reserve(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 3)], source_type="orders.order")

    page = client_as(roles.CLERK).get(reverse("inventory:product-detail", args=[product.pk])).content.decode()

    levels = page.split('id="levels"')[1].split("</section>")[0]
    assert '<td class="num on-hand">10</td>' in levels
    assert "12,345.00" in levels  # 10 x 1,234.50 at cost, in the leeds row and the total
    bins = page.split('id="bins"')[1].split("</section>")[0]
    assert "A-01-1" in bins
    history = page.split('id="history"')[1]
    assert "Reservation" in history and "Receipt" in history and "orders.order" in history


def test_older_movements_load_after_the_newest(client_as, stocked, monkeypatch):
    monkeypatch.setattr(selectors, "MOVEMENT_PAGE_SIZE", 2)
    product, leeds, _, _ = stocked
    for n in range(1, 4):
        services.stock_adjust(product_id=product.pk, warehouse_id=leeds.pk, quantity=n, reason=f"reason {n}")
    client = client_as(roles.CLERK)

    page = client.get(reverse("inventory:product-detail", args=[product.pk])).content.decode()
    assert "reason 3" in page and "reason 2" in page and "reason 1" not in page
    older_url = page.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")

    older = client.get(older_url, HTTP_HX_REQUEST="true").content.decode()
    assert "reason 1" in older and "Receipt" in older and "reason 2" not in older
    assert "<html" not in older and "Older movements" not in older
    assert "reason 1" in client.get(older_url).content.decode()  # a page of its own without htmx


def test_a_kit_page_shows_its_components_and_what_they_make(client_as):
    leeds = WarehouseFactory(code="leeds")
    kit = KitFactory(sku="GIFT-SET")
    mug = ProductFactory(sku="MUG-1")
    KitComponentFactory(kit=kit, component=mug, quantity=2)
    services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(mug.pk, 5)])

    page = client_as(roles.WAREHOUSE).get(reverse("inventory:product-detail", args=[kit.pk])).content.decode()

    assert "MUG-1" in page and "Kits available" in page
    assert page.split("Kits available")[1].split("</tr>")[0].count("<strong>2</strong>") == 1
    assert "Adjust stock" not in page  # a kit has no stock of its own


# --- low stock ------------------------------------------------------------------------------------


@pytest.fixture
def low_stock():
    leeds, berlin = WarehouseFactory(code="leeds"), WarehouseFactory(code="berlin")
    products = {}
    for sku, warehouse, on_hand, point in [
        ("LOW-A", leeds, 2, 10),
        ("LOW-B", berlin, 1, 5),
        ("FINE", leeds, 20, 10),
    ]:
        products[sku] = product = ProductFactory(sku=sku)
        services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, on_hand)])
        services.stock_level_set_reorder(
            product_id=product.pk, warehouse_id=warehouse.pk, reorder_point=point, reorder_quantity=point * 3
        )
    return leeds, berlin, products


def test_the_low_stock_list_shows_shortfalls_most_short_first(client_as, low_stock):
    leeds, _, _ = low_stock
    client = client_as(roles.BUYER)

    page = client.get(reverse("inventory:low-stock")).content.decode()
    assert page.index("LOW-A") < page.index("LOW-B") and "FINE" not in page
    row = page.split("LOW-A</a>")[1].split("</tr>")[0]
    numbers = [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split('<td class="num')[1:]]
    # available, reorder point, shortfall, reorder quantity, incoming
    assert [number.split(">")[-1] for number in numbers] == ["2", "10", "8", "30", "0"]
    assert "2 levels below the reorder point" in page

    in_leeds = client.get(reverse("inventory:low-stock"), {"warehouse": leeds.pk}).content.decode()
    assert "LOW-A" in in_leeds and "LOW-B" not in in_leeds


def test_the_dashboard_loads_a_low_stock_card_for_those_who_see_inventory(client_as, low_stock):
    client = client_as(roles.WAREHOUSE)
    with CaptureQueriesContext(connection) as queries:
        dashboard = client.get(reverse("dashboard")).content.decode()

    # The dashboard itself does not wait for the low-stock query; the card loads itself.
    assert not [q for q in queries.captured_queries if "inventory_stocklevel" in q["sql"]]
    placeholder = dashboard.split('id="low-stock"')[1].split("</section>")[0]
    assert f'hx-get="{reverse("inventory:low-stock-card")}"' in placeholder
    assert f'href="{reverse("inventory:low-stock")}"' in placeholder

    card = client.get(reverse("inventory:low-stock-card"), HTTP_HX_REQUEST="true").content.decode()
    assert '<span class="badge warn">2</span>' in card
    assert card.index("LOW-A") < card.index("LOW-B") and "FINE" not in card
    assert 'id="low-stock"' not in client_as(None).get(reverse("dashboard")).content.decode()


# --- admin ----------------------------------------------------------------------------------------


def test_managers_edit_the_catalogue_in_the_admin_but_stock_is_read_only(client, staff_user, stocked):
    product, leeds, _, _ = stocked
    client.force_login(staff_user(roles.MANAGER, is_staff=True))
    movement = StockMovement.objects.get()
    stock_level = level(product, leeds)

    assert client.get("/admin/inventory/product/", {"q": "ts-blk"}).status_code == 200
    change = client.get(f"/admin/inventory/product/{product.pk}/change/").content.decode()
    assert 'name="components-TOTAL_FORMS"' in change and 'name="cost_price"' not in change
    assert client.get(f"/admin/inventory/warehouse/{leeds.pk}/change/").status_code == 200
    assert client.get("/admin/inventory/bin/").status_code == 200
    assert client.get("/admin/inventory/stocklevel/").status_code == 200
    assert client.get("/admin/inventory/stocklevel/add/").status_code == 403
    assert client.get("/admin/inventory/stockmovement/add/").status_code == 403
    assert client.get(f"/admin/inventory/stockmovement/{movement.pk}/delete/").status_code == 403
    view = client.get(f"/admin/inventory/stocklevel/{stock_level.pk}/change/").content.decode()
    assert 'name="on_hand"' not in view and 'name="reorder_point"' not in view
    response = client.post(f"/admin/inventory/stocklevel/{stock_level.pk}/change/", {"on_hand": "99"})
    assert response.status_code == 403
    assert level(product, leeds).on_hand == 10
