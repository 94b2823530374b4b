"""In a real headless Chromium: a clerk finds a customer as they type, adds an address, switches the
default shipping address in place, and creates a customer with the quick form."""

import pytest
from playwright.sync_api import expect

from backoffice import roles
from crm.models import Address, Customer
from tests.crm.factories import AddressFactory, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clerk_finds_a_customer_and_manages_the_address_book(page, live_server, staff_user, console_errors, sign_in):
    staff_user(roles.CLERK, username="chris")
    ann = CustomerFactory(name="Ann Lee", email="ann@example.com", phone="+441134960123")
    AddressFactory(customer=ann, label="Home", is_default_billing=True, is_default_shipping=True)
    CustomerFactory(name="Bob Marsh", email="bob@example.com")

    sign_in("chris", "/customers/")

    # Search as you type: the phone number as people say it.
    page.get_by_placeholder("Name, company, e-mail, phone or customer no.").fill("0113 496")
    expect(page.locator("#results")).not_to_contain_text("Bob Marsh")
    expect(page.locator("#results")).to_contain_text("Ann Lee")
    page.get_by_role("link", name="Ann Lee").click()
    expect(page.get_by_role("heading", name="Ann Lee")).to_be_visible()

    # A second address, then the default shipping address moves to it without leaving the page.
    page.get_by_role("link", name="Add address").click()
    page.get_by_label("Label").fill("Work")
    page.get_by_label("Address", exact=True).fill("9 Kelvin Way")
    page.get_by_label("Town or city").fill("Glasgow")
    page.get_by_label("Postcode").fill("g37ta")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("Address added.")).to_be_visible()
    work = page.locator("#addresses li", has_text="Work")
    expect(work).to_contain_text("G3 7TA")
    work.get_by_role("button", name="Default for shipping").click()
    expect(work).to_contain_text("default shipping")
    expect(page.locator("#addresses li", has_text="Home")).not_to_contain_text("default shipping")
    assert Address.objects.get(customer=ann, is_default_shipping=True).label == "Work"

    # The quick form the order entry screen will embed: errors in place, then the new customer chosen.
    page.goto(f"{live_server.url}/customers/quick-create/")
    page.get_by_label("Name").fill("Cat Jones")
    page.get_by_label("E-mail").fill("ann@example.com")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#quick-customer")).to_contain_text("already belongs to Ann Lee")
    page.get_by_label("E-mail").fill("cat@example.com")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("radio", name="Cat Jones")).to_be_checked()
    assert Customer.objects.filter(email="cat@example.com").exists()
    assert console_errors == []
