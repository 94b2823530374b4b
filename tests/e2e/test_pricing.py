"""In a real headless Chromium: a manager sets up a coupon promotion and tries it in a cart."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import roles
from tests.inventory.factories import ProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_creates_a_coupon_promotion_and_tries_it_in_a_cart(
    page, live_server, staff_user, console_errors, sign_in
):
    staff_user(roles.MANAGER, username="maria")
    ProductFactory(sku="MUG-1", name="Mug", list_price=Decimal("12.00"), cost_price=Decimal("4.00"))

    sign_in("maria", "/pricing/")

    # The promotion: the kind's own terms are swapped in when the kind changes.
    page.get_by_role("link", name="New promotion").click()
    page.get_by_label("Name", exact=True).fill("Spring 15")
    page.get_by_label("Kind").select_option(label="Percentage off the order")
    expect(page.locator("#kind-fields")).to_contain_text("Percentage off the order")
    page.get_by_label("Percentage off").fill("15")
    page.get_by_label("Only with a coupon code").check()
    page.get_by_role("button", name="Create promotion").click()
    expect(page.get_by_role("heading", name="Spring 15")).to_be_visible()

    # Its coupon code.
    page.get_by_role("link", name="New code").click()
    page.get_by_label("Code").fill("SPRING15")
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Coupon SPRING15 created.")).to_be_visible()

    # Try a cart: the result follows every change.
    page.get_by_role("navigation", name="Pricing").get_by_role("link", name="Try a cart").click()
    page.locator("#id_lines-0-sku").fill("mug-1")
    page.locator("#id_lines-0-quantity").fill("2")
    page.get_by_label("Coupon codes").fill("spring15")
    page.get_by_label("Coupon codes").press("Tab")

    result = page.locator("#result")
    # 2 x 12.00 = 24.00, less 15% = 20.40.
    expect(page.locator("#cart-total")).to_have_text("20.40 GBP")
    discount = result.locator("tr.adjustment", has_text="Spring 15: 15% off")
    expect(discount).to_contain_text("SPRING15", ignore_case=True)
    expect(discount).to_contain_text("3.60")
    expect(result.locator("li", has_text="applied")).to_contain_text("spring15")
    assert console_errors == []
