"""In headless Chromium: a warehouse user finds a product, adjusts its stock through the form, sees
the new figure and the movement on the product's page, and the product on the dashboard's low-stock
card."""

import re

import pytest
from playwright.sync_api import expect

from backoffice import roles
from inventory import services
from inventory.services import StockLine
from tests.inventory.factories import BinFactory, ProductFactory, WarehouseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_warehouse_user_adjusts_stock_and_sees_it_in_the_history(
    page, live_server, staff_user, console_errors, sign_in
):
    staff_user(roles.WAREHOUSE, username="wes", first_name="Wes", last_name="Hartmann")
    leeds = WarehouseFactory(code="leeds", name="Leeds DC")
    BinFactory(warehouse=WarehouseFactory(code="berlin", name="Berlin Hub"), code="B-01-1")
    shelf = BinFactory(warehouse=leeds, code="A-01-1")
    product = ProductFactory(sku="TS-BLK-M", name="Black T-Shirt M")
    ProductFactory(sku="MUG-1", name="Enamel Mug")
    services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(product.pk, 10, shelf.pk)])
    services.stock_level_set_reorder(product_id=product.pk, warehouse_id=leeds.pk, reorder_point=8, reorder_quantity=24)
    sign_in("wes", "/inventory/")

    # The search box narrows the list as one types (htmx), and the address follows.
    page.get_by_placeholder("SKU, barcode or name").fill("black shi")
    page.wait_for_url(re.compile(r"/inventory/\?q=black%20shi"))
    results = page.locator("#results")
    assert results.get_by_role("link", name="TS-BLK-M").is_visible()
    assert results.get_by_role("link", name="MUG-1").count() == 0

    results.get_by_role("link", name="TS-BLK-M").click()
    page.wait_for_url(f"{live_server.url}/inventory/products/{product.pk}/")
    levels = page.locator("#levels")
    assert levels.locator("tr[data-warehouse=leeds] td.on-hand").inner_text() == "10"

    page.get_by_role("link", name="Adjust stock").click()
    page.get_by_label("Warehouse").select_option(label="leeds Leeds DC")
    # The bin list follows the warehouse (htmx), offering only its bins.
    bin_select = page.get_by_label("Bin")
    expect(bin_select.locator("option", has_text="B-01-1")).to_have_count(0)
    expect(bin_select.locator("option", has_text="A-01-1")).to_have_count(1)
    bin_select.select_option(label="A-01-1")
    page.get_by_label("Quantity").fill("-3")
    page.get_by_label("Reason").fill("Crushed in transit")
    page.get_by_role("button", name="Post adjustment").click()

    page.wait_for_url(f"{live_server.url}/inventory/products/{product.pk}/")
    assert page.get_by_text("Adjusted TS-BLK-M by -3 in leeds.").is_visible()
    assert levels.locator("tr[data-warehouse=leeds] td.on-hand").inner_text() == "7"
    newest = page.locator("#history tbody tr").first
    assert newest.get_by_text("Adjustment").is_visible()
    assert newest.get_by_text("Crushed in transit").is_visible()
    assert newest.get_by_text("Wes Hartmann").is_visible()
    assert newest.locator("td.num").inner_text() == "-3"

    # Now below its reorder point of 8: the dashboard's low-stock card (loaded by htmx) says so.
    page.get_by_role("link", name="Dashboard").click()
    card = page.locator("#low-stock")
    expect(card.locator(".badge")).to_have_text("1")
    assert card.get_by_role("link", name="TS-BLK-M").is_visible()
    assert console_errors == []  # no CSP violation, no htmx error
