"""Two clerks at once (real PostgreSQL, a connection per thread): the duplicate guard and the defaults hold."""

import pytest

from crm import services
from crm.exceptions import DuplicateEmail
from crm.models import Address, Customer
from crm.services import AddressData, CustomerData
from tests.concurrency import run_together
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_new_email_address_typed_at_once_makes_one_customer():
    results = run_together(
        lambda i: services.customer_create(data=CustomerData(name=f"Ann {i}", email="Ann@Example.com")), count=8
    )

    assert sum(isinstance(result, Customer) for result in results) == 1
    assert all(isinstance(result, Customer | DuplicateEmail) for result in results), results
    assert Customer.objects.filter(email="ann@example.com").count() == 1


def test_concurrent_default_switches_leave_one_default_of_each_kind():
    customer = CustomerFactory()
    addresses = [
        services.address_add(
            customer_id=customer.pk,
            data=AddressData(line1=f"{i} High St", city="Leeds", postal_code="LS1 4AP", country="GB"),
        )
        for i in range(8)
    ]

    results = run_together(
        lambda i: services.address_set_default(address_id=addresses[i].pk, billing=True, shipping=i % 2 == 0), count=8
    )

    assert all(isinstance(result, Address) for result in results), results
    mine = Address.objects.filter(customer=customer)
    assert mine.filter(is_default_billing=True).count() == 1
    assert mine.filter(is_default_shipping=True).count() == 1
