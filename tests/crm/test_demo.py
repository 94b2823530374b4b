"""The demo customers are as the services would store them, and seeding twice adds none."""

import random

import pytest
from django.db.models import Count, Q

from crm.demo import CUSTOMER_COUNT, seed_customers, seed_tiers
from crm.models import Address, Customer
from crm.normalise import normalise_email, normalise_phone, normalise_postal_code

pytestmark = pytest.mark.django_db


def test_demo_customers_are_realistic_valid_and_seeded_once():
    options = {"seed": 1}
    seed_tiers(random.Random(1), options)

    seed_customers(random.Random(1), options)
    emails = dict(Customer.objects.values_list("pk", "email"))
    seed_customers(random.Random(2), options)

    customers = list(Customer.objects.all())
    assert len(customers) == CUSTOMER_COUNT
    assert dict(Customer.objects.values_list("pk", "email")) == emails
    businesses = [c for c in customers if c.kind == Customer.Kind.BUSINESS]
    assert 50 < len(businesses) < 300
    assert all(c.company for c in businesses)
    assert any(c.payment_terms_days and c.credit_limit_amount for c in businesses)
    assert any(c.tier for c in customers) and any(not c.tier for c in customers)
    for customer in customers:
        assert customer.email == normalise_email(customer.email)
        assert customer.phone == normalise_phone(customer.phone)
    for address in Address.objects.all():
        assert address.country == "GB"
        assert address.postal_code == normalise_postal_code(address.postal_code, country="GB")
        assert address.phone == normalise_phone(address.phone)
    # Each customer with an address book has one default billing and one default shipping address.
    books = Customer.objects.annotate(
        addresses_count=Count("addresses"),
        billing=Count("addresses", filter=Q(addresses__is_default_billing=True)),
        shipping=Count("addresses", filter=Q(addresses__is_default_shipping=True)),
    ).filter(addresses_count__gt=0)
    assert books.count() > 900
    assert set(books.values_list("billing", "shipping")) == {(1, 1)}
