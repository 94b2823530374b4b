"""In a real headless Chromium: a clerk takes a phone order at the keyboard, two shipments and a coupon,
and sees it placed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import roles
from inventory import services as inventory_services
from inventory.services import StockLine
from orders.models import Order
from pricing.models import PricingPolicy
from tests.crm.factories import AddressFactory, CustomerFactory
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.pricing.factories import CouponFactory, TaxRateFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    PricingPolicy.current()
    leeds = WarehouseFactory(code="LDS", name="Leeds")
    bristol = WarehouseFactory(code="BRS", name="Bristol", is_pickup_location=True)
    mug = ProductFactory(sku="MUG-1", name="Enamel mug", list_price=Decimal("12.00"), cost_price=Decimal("4.00"))
    plate = ProductFactory(
        sku="PLATE-1", name="Stoneware plate", list_price=Decimal("20.00"), cost_price=Decimal("8.00")
    )
    TaxRateFactory(tax_class=mug.tax_class, rate=Decimal("0.2000"))
    for warehouse, quantity in ((leeds, 10), (bristol, 3)):
        inventory_services.stock_receive(
            warehouse_id=warehouse.pk, lines=[StockLine(mug.pk, quantity), StockLine(plate.pk, quantity)]
        )
    CouponFactory(
        code="TENOFF", promotion__name="Ten off", promotion__kind="order_fixed", promotion__value=Decimal("10.00")
    )
    customer = CustomerFactory(name="Ann Lee", email="ann@lee.test")
    AddressFactory(
        customer=customer, line1="1 High Street", city="Leeds", postal_code="LS1 1AA", is_default_shipping=True
    )
    return customer


def settled(page):
    """Wait until htmx has no request in flight: a choice that shows the screen again replaces its fields,
    and what is typed meanwhile would be lost (a person does not type within those milliseconds)."""
    expect(page.locator(".htmx-request")).to_have_count(0)


def test_a_clerk_enters_a_phone_order_with_two_shipments_and_a_coupon_at_the_keyboard(
    page, live_server, staff_user, shop, console_errors, sign_in
):
    staff_user(roles.CLERK, username="chris")
    sign_in("chris", "/orders/new/")

    # The cursor starts in the customer search: type, Tab to the match, Space picks it.
    expect(page.locator("#customer-search")).to_be_focused()
    page.keyboard.type("ann le")
    expect(page.locator("#customer-choices")).to_contain_text("ann@lee.test")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator(".chosen-customer")).to_contain_text("Ann Lee")
    expect(page.get_by_label("E-mail")).to_have_value("ann@lee.test")

    # Products by SKU: Enter adds the line and comes back to the add bar; stock shows per warehouse.
    add = page.get_by_label("Add a product")
    expect(add).to_be_focused()
    page.keyboard.type("mug-1")
    expect(page.locator("#product-results")).to_contain_text("Enamel mug")
    page.keyboard.press("Enter")
    expect(page.locator("tbody.entry-line")).to_have_count(1)
    expect(add).to_be_focused()
    page.keyboard.type("PLATE-1")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("tbody.entry-line")).to_have_count(2)
    expect(page.locator("tbody.entry-line").nth(1)).to_contain_text("LDS 10")
    expect(page.locator("tbody.entry-line").nth(1)).to_contain_text("BRS 3")

    # A second shipment, by express to another address, takes the plates.
    page.get_by_role("button", name="Add a shipment").focus()
    page.keyboard.press("Enter")
    second = page.locator("fieldset.shipment").nth(1)
    expect(second).to_contain_text("Shipment 2")
    second.get_by_label("Delivery").select_option("express")
    settled(page)
    page.get_by_label("PLATE-1 quantity in shipment 1").fill("0")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    second.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Ann Lee")
    page.keyboard.press("Tab")
    page.keyboard.type("Lee Ltd")
    page.keyboard.press("Tab")
    page.keyboard.type("9 Dock Road")
    second.get_by_label("Town or city").fill("Bristol")
    second.get_by_label("Postcode").fill("bs1 4aa")

    # Cash on delivery, and the coupon: the totals follow with the engine's explanation.
    page.get_by_label("Payment", exact=True).select_option("cod")
    page.get_by_label("Coupon codes").focus()
    page.keyboard.type("tenoff")
    page.keyboard.press("Tab")
    quote = page.locator("#quote")
    expect(quote).to_contain_text("Order: Ten off: 10.00 off the order: -10.00")
    # 12.00 + 2 x 20.00 - 10.00 + 4.95 + 9.95
    expect(page.locator("#quote-total")).to_have_text("56.90 GBP")

    page.get_by_role("button", name="Place order").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/orders/SO-*/")
    placed = Order.objects.get()
    expect(page.get_by_role("heading", name=placed.number)).to_be_visible()
    expect(page.locator(".order-status")).to_contain_text("Ready to fulfil")
    expect(page.get_by_text(f"Order {placed.number} placed: ready to fulfil.")).to_be_visible()
    expect(page.locator("#order-total")).to_have_text("56.90 GBP")
    cities = [shipment.ship_to["city"] for shipment in placed.shipments.all()]
    assert cities == ["Leeds", "Bristol"]
    assert [s.shipping_method for s in placed.shipments.all()] == ["standard", "express"]
    assert placed.customer == shop and placed.coupon_codes == ["tenoff"]
    assert console_errors == []


def test_a_new_customer_collects_in_a_store(page, live_server, staff_user, shop, console_errors, sign_in):
    staff_user(roles.CLERK, username="chris")
    sign_in("chris", "/orders/new/")

    # The quick-create panel (crm's form, beside the order's form): the new customer is picked.
    page.get_by_role("button", name="New customer").click()
    panel = page.locator(".quick-customer-panel")
    panel.get_by_label("Name", exact=True).fill("Zed Quick")
    panel.get_by_label("E-mail").fill("zed@quick.test")
    panel.get_by_label("E-mail").press("Enter")
    expect(page.locator(".chosen-customer")).to_contain_text("Zed Quick")
    expect(panel).to_be_hidden()
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("zed@quick.test")

    page.get_by_label("Add a product").fill("MUG-1")
    page.keyboard.press("Enter")
    expect(page.locator("tbody.entry-line")).to_have_count(1)
    shipment = page.locator("fieldset.shipment").first
    shipment.get_by_label("Delivery").select_option("pickup:BRS")
    # A pick-up needs no address: the fields go, the price of delivery too.
    expect(shipment.get_by_label("Town or city")).to_be_hidden()
    expect(shipment.locator(".pickup-note")).to_be_visible()
    expect(page.locator("#quote-total")).to_have_text("12.00 GBP")
    settled(page)
    page.get_by_role("button", name="Place order").click()

    page.wait_for_url(f"{live_server.url}/orders/SO-*/")
    placed = Order.objects.get()
    assert placed.customer.email == "zed@quick.test"
    shipment = placed.shipments.get()
    assert (shipment.is_pickup, shipment.warehouse.code, shipment.ship_to) == (True, "BRS", {})
    expect(page.locator("#shipments")).to_contain_text("Pick-up at Bristol")
    # Prepaid by default, and not paid yet: it waits.
    expect(page.locator(".order-status")).to_contain_text("On hold")
    assert [e for e in console_errors if "favicon" not in e] == []
