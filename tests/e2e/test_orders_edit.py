"""In a real headless Chromium: a clerk opens a placed order, changes a quantity at the keyboard, sees
the totals priced again before saving (a spend-threshold discount goes), saves, and sees the new total
and the change on the order's timeline."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import roles
from inventory import services as inventory_services
from inventory.services import StockLine
from orders.models import Order
from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput, order_place
from pricing.models import PricingPolicy, Promotion
from tests.crm.factories import CustomerFactory
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.pricing.factories import PromotionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def placed():
    """Five plates for Ann Lee: 100.00, less 10.00 for spending 100, plus 4.95 standard delivery."""
    PricingPolicy.current()
    leeds = WarehouseFactory(code="LDS", name="Leeds")
    plate = ProductFactory(sku="PLATE-1", name="Stoneware plate", list_price=Decimal("20.00"))
    inventory_services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(plate.pk, 10)])
    PromotionFactory(
        name="Spend 100", kind=Promotion.Kind.SPEND_THRESHOLD, value=Decimal("10"), min_subtotal=Decimal("100")
    )
    customer = CustomerFactory(name="Ann Lee", email="ann@lee.test")
    home = AddressInput("Ann Lee", "1 High Street", "Leeds", "LS1 1AA", "GB")
    return order_place(
        data=OrderInput(
            channel="phone",
            lines=(LineInput("PLATE-1", 5),),
            shipments=(ShipmentInput(ship_to=home, shipping_method="standard", shipping_price=Decimal("4.95")),),
            payment_method="cod",
            customer_id=customer.pk,
        )
    )


def settled(page):
    """Wait until htmx has no request in flight."""
    expect(page.locator(".htmx-request")).to_have_count(0)


def test_a_clerk_changes_a_quantity_at_the_keyboard_and_sees_it_repriced(
    page, live_server, staff_user, placed, console_errors, sign_in
):
    staff_user(roles.CLERK, username="chris")
    order_url = f"{live_server.url}/orders/{placed.number}/"
    sign_in("chris", f"/orders/{placed.number}/")
    expect(page.locator("#order-total")).to_have_text("94.95 GBP")

    # The order's page offers the change; Enter on it opens the screen filled in with the order.
    page.get_by_role("link", name="Edit order").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{order_url}edit/")
    quantity = page.get_by_label("PLATE-1 quantity in shipment 1")
    expect(quantity).to_have_value("5")
    expect(page.locator("#quote-total")).to_have_text("94.95 GBP")
    expect(page.locator("#quote")).to_contain_text("Spend 100")

    # The cursor starts on the quantity: type over it, Tab on, and the preview is priced again.
    expect(quantity).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    expect(page.locator("#quote-total")).to_have_text("84.95 GBP")
    expect(page.locator("#quote-discount")).to_have_text("0.00")
    expect(page.locator("#quote")).not_to_contain_text("Spend 100")
    assert Order.objects.get(pk=placed.pk).total_amount == Decimal("94.95")  # nothing saved yet
    settled(page)

    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(order_url)
    expect(page.get_by_text(f"Order {placed.number} changed: 84.95 GBP, ready to fulfil.")).to_be_visible()
    expect(page.locator("#order-total")).to_have_text("84.95 GBP")
    expect(page.locator("#timeline")).to_contain_text("Order changed: PLATE-1 5 -> 4; total 94.95 -> 84.95")
    edited = Order.objects.get(pk=placed.pk)
    assert [(line.sku, line.quantity) for line in edited.lines.all()] == [("PLATE-1", 4)]
    assert (edited.discount_amount, edited.total_amount) == (Decimal("0.00"), Decimal("84.95"))
    assert console_errors == []
