"""Finding customers (crm.selectors.customer_search): by each field, in pages, in two queries."""

import pytest

from crm import selectors
from crm.models import Customer
from tests.crm.factories import AddressFactory, CustomerFactory, CustomerTierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """A handful of customers, stored as the services store them."""
    return {
        "ann": CustomerFactory(name="Ann Lee", email="ann.lee@example.com", phone="+441134960123"),
        "bob": CustomerFactory(
            name="Bob Marsh",
            company="Harbour Kitchen Ltd",
            kind=Customer.Kind.BUSINESS,
            email="orders@harbourkitchen.example",
            phone="+442079460958",
        ),
        "cat": CustomerFactory(name="Catrin O'Neill", email="cat@example.org", phone="+4930901820"),
        "dan": CustomerFactory(name="Dan Leeming", email="dan@example.net", phone=""),
    }


def names(query, **kwargs):
    return [customer.name for customer in selectors.customer_search(query=query, **kwargs).customers]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Words of the name, the last one as a prefix as it is typed.
        ("ann", ["Ann Lee"]),
        ("lee", ["Ann Lee", "Dan Leeming"]),
        ("ann lee", ["Ann Lee"]),
        ("LEEM", ["Dan Leeming"]),
        ("o'neill", ["Catrin O'Neill"]),
        # Words of the company.
        ("harbour kit", ["Bob Marsh"]),
        # The start of the e-mail address, in any case.
        ("Ann.Lee@", ["Ann Lee"]),
        ("orders@harbour", ["Bob Marsh"]),
        # The phone number as people type it, whole or in part, national or international.
        ("0113 496 0123", ["Ann Lee"]),
        ("(0113) 496", ["Ann Lee"]),
        ("020 7946", ["Bob Marsh"]),
        ("+44 20 7946 0958", ["Bob Marsh"]),
        ("0049 30 90", ["Catrin O'Neill"]),
        ("+49 30", ["Catrin O'Neill"]),
        # Nothing.
        ("zebra", []),
    ],
)
def test_customers_are_found_by_name_company_email_and_phone(people, query, expected):
    assert names(query) == expected


def test_customers_are_found_by_their_number(people):
    assert names(str(people["cat"].pk)) == ["Catrin O'Neill"]


@pytest.mark.parametrize("query", ["a & b | !(c)", "':*", "<->", "\\", "%", "_"])
def test_search_syntax_in_the_query_is_plain_text(people, query):
    assert names(query) == []


def test_inactive_customers_are_listed_only_when_asked_for(people):
    people["dan"].is_active = False
    people["dan"].save()

    assert names("lee") == ["Ann Lee"]
    assert names("lee", inactive=True) == ["Dan Leeming"]


def test_kind_and_tier_narrow_the_list(people):
    gold = CustomerTierFactory()
    people["cat"].tier = gold
    people["cat"].save()

    assert names("", kind=Customer.Kind.BUSINESS) == ["Bob Marsh"]
    assert names("", tier_id=gold.pk) == ["Catrin O'Neill"]


def test_pages_follow_each_other_in_name_order_without_gaps_or_repeats():
    # Equal names are ordered by id, so a page boundary between two "Sam Smith"s loses neither.
    created = [CustomerFactory(name=name) for name in ["sam smith", "Sam Smith", "Al Stone", "Zoe Ash", "Sam Smith"]]
    created += [CustomerFactory() for _ in range(6)]
    expected = sorted(created, key=lambda c: (c.name.upper(), c.pk))

    seen, after = [], None
    while True:
        page = selectors.customer_search(after=after, limit=3)
        seen += page.customers
        after = page.next_after
        if after is None:
            break

    assert [c.pk for c in seen] == [c.pk for c in expected]


@pytest.mark.parametrize("size", [2, 20])
def test_a_page_costs_two_queries_whatever_its_size(django_assert_num_queries, size):
    tier = CustomerTierFactory()
    for i in range(size):
        customer = CustomerFactory(name=f"Lee {i}", tier=tier)
        AddressFactory(customer=customer, is_default_billing=True, is_default_shipping=True)

    with django_assert_num_queries(2):
        page = selectors.customer_search(query="lee", limit=size)
        rows = [(c.tier.name, c.default_billing.city, c.default_shipping.city) for c in page.customers]

    assert len(rows) == size


def test_each_customer_comes_with_its_default_addresses(people):
    home = AddressFactory(customer=people["ann"], is_default_billing=True, city="Leeds")
    work = AddressFactory(customer=people["ann"], is_default_shipping=True, city="Glasgow")
    AddressFactory(customer=people["ann"], city="York")

    ann = selectors.customer_search(query="ann").customers[0]

    assert (ann.default_billing, ann.default_shipping) == (home, work)
    assert selectors.customer_search(query="bob").customers[0].default_shipping is None


def test_customer_get_has_the_whole_address_book_defaults_first(people):
    other = AddressFactory(customer=people["ann"], label="Aunt")
    home = AddressFactory(customer=people["ann"], label="Home", is_default_billing=True, is_default_shipping=True)

    ann = selectors.customer_get(customer_id=people["ann"].pk)

    assert ann.address_book == [home, other]
    assert ann.default_billing == ann.default_shipping == home
    assert selectors.customer_get(customer_id=999_999) is None


def test_an_address_is_found_only_with_its_own_customer(people):
    address = AddressFactory(customer=people["ann"])

    assert selectors.address_get(customer_id=people["ann"].pk, address_id=address.pk) == address
    assert selectors.address_get(customer_id=people["bob"].pk, address_id=address.pk) is None
