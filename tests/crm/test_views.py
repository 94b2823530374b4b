"""The customer pages: permissions, list search, the customer's page and address book, the forms (which
go through crm.services), the order entry screen's autocomplete and quick create, and the admin."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import roles
from crm.models import Address, Customer
from tests.crm.factories import AddressFactory, CustomerFactory, CustomerTierFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ann():
    customer = CustomerFactory(
        name="Ann Lee",
        email="ann@example.com",
        phone="+441134960123",
        tier=CustomerTierFactory(name="Gold club"),
        payment_terms_days=30,
        credit_limit_amount=Decimal("2500.00"),
    )
    AddressFactory(
        customer=customer,
        label="Home",
        line1="1 High Street",
        city="Leeds",
        postal_code="LS1 4AP",
        is_default_billing=True,
        is_default_shipping=True,
    )
    return customer


def new_customer(**fields):
    return {"kind": "individual", "name": "Bob Marsh", "company": "", "email": "", "phone": "", **fields}


def full_form(**fields):
    return {**new_customer(), "tier": "", "payment_terms_days": "0", "credit_limit_amount": "0", "notes": "", **fields}


ADDRESS = {
    "label": "Work",
    "name": "",
    "company": "",
    "line1": "9 Kelvin Way",
    "line2": "",
    "city": "Glasgow",
    "region": "",
    "postal_code": "g37ta",
    "country": "GB",
    "phone": "",
}


# --- access ---------------------------------------------------------------------------------------


def test_the_customers_section_links_to_the_list_and_stays_marked_on_a_customer(client_as, ann):
    client = client_as(roles.CLERK)

    assert reverse("crm:customer-list") == "/customers/"
    assert f'href="{reverse("crm:customer-list")}"' in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("crm:customer-detail", args=[ann.pk])).content.decode()
    assert f'<a href="{reverse("crm:customer-list")}" aria-current="page">Customers</a>' in page


@pytest.mark.parametrize(
    "name", ["crm:customer-list", "crm:customer-create", "crm:customer-autocomplete", "crm:customer-quick-create"]
)
def test_pages_require_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.CLERK, 200),
        (roles.ACCOUNTANT, 200),
        (roles.MANAGER, 200),
        (roles.WAREHOUSE, 403),
        (roles.BUYER, 403),
        (None, 403),
    ],
)
def test_who_may_see_customers(client_as, ann, role, status):
    client = client_as(role)

    assert client.get(reverse("crm:customer-list")).status_code == status
    assert client.get(reverse("crm:customer-detail", args=[ann.pk])).status_code == status
    assert client.get(reverse("crm:customer-autocomplete"), {"q": "ann"}).status_code == status


def test_a_clerk_creates_a_customer(client_as):
    client = client_as(roles.CLERK)
    gold = CustomerTierFactory()

    response = client.post(
        reverse("crm:customer-create"),
        full_form(
            name="Bob  Marsh",
            email=" Bob@Example.com ",
            phone="020 7946 0958",
            tier=str(gold.pk),
            payment_terms_days="14",
            credit_limit_amount="500",
        ),
    )

    bob = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:customer-detail", args=[bob.pk])
    assert (bob.name, bob.email, bob.phone, bob.tier) == ("Bob Marsh", "bob@example.com", "+442079460958", gold)
    assert (bob.payment_terms_days, bob.credit_limit_amount) == (14, Decimal("500.00"))


@pytest.mark.parametrize("role", [roles.WAREHOUSE, roles.ACCOUNTANT])
def test_who_may_not_create_customers_gets_403_and_nothing_is_saved(client_as, role):
    client = client_as(role)

    assert client.get(reverse("crm:customer-create")).status_code == 403
    assert client.post(reverse("crm:customer-create"), full_form()).status_code == 403
    assert client.post(reverse("crm:customer-quick-create"), new_customer()).status_code == 403
    assert not Customer.objects.exists()


def test_an_accountant_may_change_terms_but_not_addresses(client_as, ann):
    client = client_as(roles.ACCOUNTANT)
    form = full_form(name="Ann Lee", email="ann@example.com", payment_terms_days="60", credit_limit_amount="9000")

    assert client.post(reverse("crm:customer-edit", args=[ann.pk]), form).status_code == 302
    assert client.get(reverse("crm:address-create", args=[ann.pk])).status_code == 403

    ann.refresh_from_db()
    assert (ann.payment_terms_days, ann.credit_limit_amount) == (60, Decimal("9000.00"))


# --- the forms ------------------------------------------------------------------------------------


def test_the_create_form_shows_every_problem_beside_its_field(client_as):
    response = client_as(roles.CLERK).post(
        reverse("crm:customer-create"),
        full_form(kind="business", email="bob@", phone="12345", credit_limit_amount="-5"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "is not an e-mail address" in page
    assert "is not a valid phone number in GB" in page
    assert "A business customer needs a company name." in page
    assert "Ensure this value is greater than or equal to 0" in page
    assert not Customer.objects.exists()


def test_a_duplicate_email_address_names_the_customer_who_has_it(client_as, ann):
    response = client_as(roles.CLERK).post(reverse("crm:customer-create"), full_form(email="ANN@example.com"))

    assert response.status_code == 200
    assert f"ann@example.com already belongs to Ann Lee (customer no. {ann.pk})." in response.content.decode()
    assert Customer.objects.count() == 1


def test_the_edit_form_starts_with_the_customer_and_saves_changes(client_as, ann):
    client = client_as(roles.CLERK)
    url = reverse("crm:customer-edit", args=[ann.pk])

    page = client.get(url).content.decode()
    assert 'value="0113 496 0123"' in page

    response = client.post(url, full_form(name="Ann Lee-Marsh", email="ann@example.com", phone="0113 496 0123"))
    assert response.status_code == 302
    ann.refresh_from_db()
    assert (ann.name, ann.phone, ann.tier) == ("Ann Lee-Marsh", "+441134960123", None)


def test_deactivating_and_reactivating_a_customer(client_as, ann):
    client = client_as(roles.CLERK)

    client.post(reverse("crm:customer-deactivate", args=[ann.pk]))
    assert not Customer.objects.get(pk=ann.pk).is_active
    assert "inactive" in client.get(reverse("crm:customer-detail", args=[ann.pk])).content.decode()

    client.post(reverse("crm:customer-reactivate", args=[ann.pk]))
    assert Customer.objects.get(pk=ann.pk).is_active


# --- the list -------------------------------------------------------------------------------------


def test_the_list_searches_as_you_type(client_as, ann):
    CustomerFactory(name="Bob Marsh", email="bob@example.com")
    client = client_as(roles.CLERK)

    page = client.get(reverse("crm:customer-list")).content.decode()
    assert "Ann Lee" in page and "Bob Marsh" in page
    assert 'hx-get="/customers/"' in page

    response = client.get(reverse("crm:customer-list"), {"q": "0113 496"}, **HTMX)
    partial = response.content.decode()
    assert partial.lstrip().startswith('<section id="results"')
    assert "Ann Lee" in partial and "Bob Marsh" not in partial
    assert "0113 496 0123" in partial and "Leeds" in partial and "Gold club" in partial
    assert "HX-Request" in response["Vary"]


def test_the_list_pages_with_a_next_link(client_as):
    for i in range(60):
        CustomerFactory(name=f"Customer {i:02d}")
    client = client_as(roles.CLERK)

    first = client.get(reverse("crm:customer-list")).content.decode()
    assert "Customer 49" in first and "Customer 50" not in first
    last_id = Customer.objects.get(name="Customer 49").pk
    assert f"?after={last_id}" in first

    second = client.get(reverse("crm:customer-list"), {"after": last_id}).content.decode()
    assert "Customer 50" in second and "Customer 59" in second and "Customer 49" not in second
    assert "Next page" not in second


def test_the_list_costs_the_same_queries_for_few_and_many_customers(client_as):
    client = client_as(roles.CLERK)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("crm:customer-list"), **HTMX).status_code == 200
        return len(context)

    for _ in range(2):
        AddressFactory(customer=CustomerFactory(tier=CustomerTierFactory()), is_default_shipping=True)
    few = queries()
    for _ in range(30):
        AddressFactory(customer=CustomerFactory(tier=CustomerTierFactory()), is_default_shipping=True)

    assert queries() == few


# --- a customer's page ----------------------------------------------------------------------------


def test_the_customer_page_shows_contact_terms_and_address_book(client_as, ann):
    page = client_as(roles.CLERK).get(reverse("crm:customer-detail", args=[ann.pk])).content.decode()

    assert "Ann Lee" in page
    assert 'href="mailto:ann@example.com"' in page
    assert 'href="tel:+441134960123"' in page and "0113 496 0123" in page
    assert "Gold club" in page and "30 days" in page and "2,500.00" in page
    assert "1 High Street" in page and "LS1 4AP" in page
    assert "default billing" in page and "default shipping" in page
    # The orders card comes from the orders app (tests/crm/test_views_orders.py).
    assert reverse("orders:customer-orders", args=[ann.pk]) in page


def test_the_customer_page_hides_changes_from_who_may_not_make_them(client_as, ann):
    page = client_as(roles.ACCOUNTANT).get(reverse("crm:customer-detail", args=[ann.pk])).content.decode()

    assert reverse("crm:customer-edit", args=[ann.pk]) in page
    assert reverse("crm:address-create", args=[ann.pk]) not in page
    assert "Default for billing" not in page


def test_an_unknown_customer_is_404(client_as):
    assert client_as(roles.CLERK).get(reverse("crm:customer-detail", args=[999_999])).status_code == 404


def test_adding_an_address_as_the_new_shipping_default(client_as, ann):
    client = client_as(roles.CLERK)

    response = client.post(reverse("crm:address-create", args=[ann.pk]), {**ADDRESS, "is_default_shipping": "on"})

    assert response.status_code == 302
    work = Address.objects.get(label="Work")
    assert (work.postal_code, work.is_default_shipping, work.is_default_billing) == ("G3 7TA", True, False)
    assert Address.objects.filter(customer=ann, is_default_shipping=True).get() == work


def test_a_bad_address_shows_its_errors_and_saves_nothing(client_as, ann):
    response = client_as(roles.CLERK).post(
        reverse("crm:address-create", args=[ann.pk]), {**ADDRESS, "postal_code": "", "line1": "", "phone": "999"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "A UK address needs a postcode." in page
    assert "This field is required." in page
    assert "is not a valid phone number in GB" in page
    assert Address.objects.filter(customer=ann).count() == 1


def test_editing_an_address(client_as, ann):
    address = ann.addresses.get()
    url = reverse("crm:address-edit", args=[ann.pk, address.pk])
    client = client_as(roles.CLERK)

    assert 'value="1 High Street"' in client.get(url).content.decode()
    response = client.post(url, {**ADDRESS, "label": "Home", "country": "DE", "postal_code": "10115", "city": "Berlin"})

    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.city, address.country, address.postal_code) == ("Berlin", "DE", "10115")
    assert address.is_default_billing and address.is_default_shipping


def test_another_customers_address_is_404(client_as, ann):
    stranger = AddressFactory()
    client = client_as(roles.CLERK)

    assert client.get(reverse("crm:address-edit", args=[ann.pk, stranger.pk])).status_code == 404
    default_url = reverse("crm:address-set-default", args=[ann.pk, stranger.pk])
    assert client.post(default_url, {"use": "billing"}).status_code == 404


def test_the_default_buttons_switch_the_default_and_return_the_address_book(client_as, ann):
    work = AddressFactory(customer=ann, label="Work", line1="9 Kelvin Way")
    client = client_as(roles.CLERK)
    url = reverse("crm:address-set-default", args=[ann.pk, work.pk])

    response = client.post(url, {"use": "shipping"}, **HTMX)

    assert response.status_code == 200
    partial = response.content.decode()
    assert partial.lstrip().startswith('<section class="card" id="addresses"')
    assert Address.objects.get(customer=ann, is_default_shipping=True) == work
    assert Address.objects.get(customer=ann, is_default_billing=True).label == "Home"

    response = client.post(url, {"use": "billing"})
    assert response.status_code == 302
    assert Address.objects.get(customer=ann, is_default_billing=True) == work


# --- for the order entry screen --------------------------------------------------------------------


def test_the_autocomplete_offers_matching_active_customers_as_choices(client_as, ann):
    CustomerFactory(name="Ann Inactive", email="old@example.com", is_active=False)
    CustomerFactory(name="Bob Marsh")
    client = client_as(roles.CLERK)

    page = client.get(reverse("crm:customer-autocomplete"), {"q": "ann"}).content.decode()

    assert f'<input type="radio" name="customer" value="{ann.pk}">' in page
    assert "ann@example.com" in page and "0113 496 0123" in page and "Gold club" in page
    assert "1 High Street, Leeds LS1 4AP" in page
    assert "Ann Inactive" not in page and "Bob Marsh" not in page


def test_the_autocomplete_waits_for_two_characters_and_says_when_nothing_matches(client_as, ann):
    client = client_as(roles.CLERK)
    url = reverse("crm:customer-autocomplete")

    assert "Type two or more characters" in client.get(url, {"q": "a"}).content.decode()
    assert "No active customer matches “zebra”" in client.get(url, {"q": "zebra"}).content.decode()


def test_the_quick_create_form_is_a_fragment_for_htmx_and_a_page_otherwise(client_as):
    client = client_as(roles.CLERK)
    url = reverse("crm:customer-quick-create")

    fragment = client.get(url, **HTMX).content.decode()
    assert fragment.lstrip().startswith("<form") and f'hx-post="{url}"' in fragment
    assert "<html" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"email": "bob@"}, "is not an e-mail address"),
        ({"phone": "0113"}, "is not a valid phone number in GB"),
        ({"kind": "business"}, "A business customer needs a company name."),
    ],
)
def test_quick_create_with_bad_input_shows_errors_and_saves_nothing(client_as, fields, error):
    response = client_as(roles.CLERK).post(reverse("crm:customer-quick-create"), new_customer(**fields), **HTMX)

    page = response.content.decode()
    # 200, so that htmx swaps the form with its errors in.
    assert response.status_code == 200
    assert page.lstrip().startswith("<form")
    assert error in page
    assert "HX-Trigger" not in response
    assert not Customer.objects.exists()


def test_quick_create_refuses_an_email_address_another_customer_has(client_as, ann):
    response = client_as(roles.CLERK).post(
        reverse("crm:customer-quick-create"), new_customer(email="ann@example.com"), **HTMX
    )

    assert "already belongs to Ann Lee" in response.content.decode()
    assert Customer.objects.count() == 1


def test_quick_create_returns_the_new_customer_chosen(client_as):
    response = client_as(roles.CLERK).post(
        reverse("crm:customer-quick-create"),
        new_customer(email="Bob@Example.com", phone="07400 123456"),
        **HTMX,
    )

    bob = Customer.objects.get()
    assert (bob.email, bob.phone) == ("bob@example.com", "+447400123456")
    assert response.status_code == 200
    assert f'<input type="radio" name="customer" value="{bob.pk}" checked>' in response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"customer-created": {"id": bob.pk, "name": "Bob Marsh"}}


def test_quick_create_without_htmx_goes_to_the_new_customer(client_as):
    response = client_as(roles.CLERK).post(reverse("crm:customer-quick-create"), new_customer())

    assert response.status_code == 302
    assert response.url == reverse("crm:customer-detail", args=[Customer.objects.get().pk])


# --- admin ----------------------------------------------------------------------------------------


def test_managers_look_up_and_correct_customers_in_the_admin(client, staff_user, ann):
    client.force_login(staff_user(roles.MANAGER, is_staff=True))

    assert client.get("/admin/crm/customer/?q=ann").status_code == 200
    assert "1 High Street" in client.get(f"/admin/crm/customer/{ann.pk}/change/").content.decode()
    assert client.get("/admin/crm/customertier/").status_code == 200

    response = client.post(
        "/admin/crm/customer/add/",
        {
            "kind": "individual",
            "name": "Bob Marsh",
            "email": "BOB@example.com",
            "phone": "020 7946 0958",
            "payment_terms_days": "0",
            "credit_limit_amount": "0",
            "is_active": "on",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()
    bob = Customer.objects.get(name="Bob Marsh")
    assert (bob.email, bob.phone) == ("bob@example.com", "+442079460958")

    duplicate = client.post(
        f"/admin/crm/customer/{bob.pk}/change/",
        {
            "kind": "individual",
            "name": "Bob Marsh",
            "email": "ann@example.com",
            "payment_terms_days": "0",
            "credit_limit_amount": "0",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    assert "already belongs to Ann Lee" in duplicate.content.decode()
