"""Customers and address books through crm.services: normalised, checked, one default of each kind."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from crm import services
from crm.exceptions import DuplicateEmail, InvalidAddress, InvalidCustomer, InvalidEmail, InvalidPhone
from crm.models import Address, Customer
from crm.services import AddressData, CustomerData
from tests.crm.factories import AddressFactory, CustomerFactory, CustomerTierFactory

pytestmark = pytest.mark.django_db

HOME = AddressData(line1="1 High Street", city="Leeds", postal_code="ls1 4ap", country="gb")
WORK = AddressData(label="Work", line1="9 Kelvin Way", city="Glasgow", postal_code="G3 7TA", country="GB")


def defaults(customer):
    """(default billing ids, default shipping ids) of a customer, straight from the database."""
    addresses = Address.objects.filter(customer=customer)
    return (
        list(addresses.filter(is_default_billing=True).values_list("pk", flat=True)),
        list(addresses.filter(is_default_shipping=True).values_list("pk", flat=True)),
    )


# --- customers -------------------------------------------------------------------------------------


def test_a_customer_is_stored_normalised():
    tier = CustomerTierFactory()

    customer = services.customer_create(
        data=CustomerData(
            kind=Customer.Kind.BUSINESS,
            name="  Ann   Lee ",
            company="Lee & Co",
            email=" Ann.Lee@Example.COM ",
            phone="(0113) 496-0123",
            tier_id=tier.pk,
            payment_terms_days=30,
            credit_limit_amount=Decimal("2500.005"),
            notes="  Call before noon. ",
        )
    )

    customer.refresh_from_db()
    assert (customer.name, customer.company, customer.email, customer.phone) == (
        "Ann Lee",
        "Lee & Co",
        "ann.lee@example.com",
        "+441134960123",
    )
    assert customer.tier == tier
    assert customer.payment_terms_days == 30
    assert customer.credit_limit_amount == Decimal("2500.01")
    assert customer.notes == "Call before noon."
    assert customer.is_active


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (CustomerData(name="  "), InvalidCustomer, "name"),
        (CustomerData(name="Ann", kind=Customer.Kind.BUSINESS), InvalidCustomer, "company"),
        (CustomerData(name="Ann", kind="robot"), InvalidCustomer, "kind"),
        (CustomerData(name="Ann", payment_terms_days=400), InvalidCustomer, "payment_terms_days"),
        (CustomerData(name="Ann", credit_limit_amount=Decimal("-1")), InvalidCustomer, "credit_limit_amount"),
        (CustomerData(name="Ann", tier_id=999_999), InvalidCustomer, "tier"),
        (CustomerData(name="Ann", email="ann@"), InvalidEmail, "email"),
        (CustomerData(name="Ann", phone="12345"), InvalidPhone, "phone"),
    ],
)
def test_bad_customer_data_is_refused_and_nothing_is_saved(data, error, field):
    with pytest.raises(error) as raised:
        services.customer_create(data=data)

    assert raised.value.field == field
    assert not Customer.objects.exists()


def test_an_email_address_of_another_customer_is_refused_naming_that_customer():
    ann = services.customer_create(data=CustomerData(name="Ann Lee", email="ann@example.com"))

    with pytest.raises(DuplicateEmail) as raised:
        services.customer_create(data=CustomerData(name="Annie Lee", email="  ANN@Example.com"))

    assert raised.value.existing == ann
    assert str(raised.value) == f"ann@example.com already belongs to Ann Lee (customer no. {ann.pk})."
    assert Customer.objects.count() == 1


def test_customers_without_email_address_are_no_duplicates():
    services.customer_create(data=CustomerData(name="Ann", phone="0113 496 0001"))
    services.customer_create(data=CustomerData(name="Bob", phone="0113 496 0002"))

    assert Customer.objects.filter(email="").count() == 2


def test_the_database_refuses_a_duplicate_email_that_bypasses_the_service():
    CustomerFactory(email="ann@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(email="ANN@example.com")


def test_an_update_keeps_its_own_email_address_but_may_not_take_another():
    ann = services.customer_create(data=CustomerData(name="Ann", email="ann@example.com"))
    services.customer_create(data=CustomerData(name="Bob", email="bob@example.com"))

    services.customer_update(customer_id=ann.pk, data=CustomerData(name="Ann Lee", email="Ann@example.com"))
    with pytest.raises(DuplicateEmail, match="already belongs to Bob"):
        services.customer_update(customer_id=ann.pk, data=CustomerData(name="Ann Lee", email="bob@example.com"))

    ann.refresh_from_db()
    assert (ann.name, ann.email) == ("Ann Lee", "ann@example.com")


def test_an_update_replaces_every_detail():
    customer = CustomerFactory(name="Ann", tier=CustomerTierFactory(), payment_terms_days=30)

    services.customer_update(
        customer_id=customer.pk,
        data=CustomerData(name="Ann", kind=Customer.Kind.BUSINESS, company="Ann's Deli", phone="+49 30 901820"),
    )

    customer.refresh_from_db()
    assert customer.kind == Customer.Kind.BUSINESS
    assert customer.company == "Ann's Deli"
    assert customer.phone == "+4930901820"
    assert customer.tier is None
    assert customer.payment_terms_days == 0


def test_a_customer_is_deactivated_and_reactivated():
    customer = CustomerFactory()

    services.customer_set_active(customer_id=customer.pk, is_active=False)
    assert not Customer.objects.get(pk=customer.pk).is_active

    services.customer_set_active(customer_id=customer.pk, is_active=True)
    assert Customer.objects.get(pk=customer.pk).is_active


# --- addresses -------------------------------------------------------------------------------------


def test_the_first_address_becomes_both_defaults_and_is_stored_normalised():
    customer = CustomerFactory()

    address = services.address_add(customer_id=customer.pk, data=HOME)

    address.refresh_from_db()
    assert (address.postal_code, address.country) == ("LS1 4AP", "GB")
    assert defaults(customer) == ([address.pk], [address.pk])


def test_a_later_address_is_no_default_unless_asked():
    customer = CustomerFactory()
    home = services.address_add(customer_id=customer.pk, data=HOME)

    services.address_add(customer_id=customer.pk, data=WORK)

    assert defaults(customer) == ([home.pk], [home.pk])


def test_adding_a_default_address_takes_the_default_from_the_old_one():
    customer = CustomerFactory()
    home = services.address_add(customer_id=customer.pk, data=HOME)

    work = services.address_add(customer_id=customer.pk, data=WORK, is_default_shipping=True)

    assert defaults(customer) == ([home.pk], [work.pk])


@pytest.mark.parametrize(
    ("billing", "shipping"),
    [(True, False), (False, True), (True, True)],
)
def test_switching_the_default_keeps_exactly_one_of_each(billing, shipping):
    customer = CustomerFactory()
    home = services.address_add(customer_id=customer.pk, data=HOME)
    work = services.address_add(customer_id=customer.pk, data=WORK)
    other_customer_address = AddressFactory(is_default_billing=True, is_default_shipping=True)

    services.address_set_default(address_id=work.pk, billing=billing, shipping=shipping)

    assert defaults(customer) == ([work.pk if billing else home.pk], [work.pk if shipping else home.pk])
    assert defaults(other_customer_address.customer) == ([other_customer_address.pk], [other_customer_address.pk])


def test_switching_back_and_forth_never_leaves_two_defaults():
    customer = CustomerFactory()
    addresses = [services.address_add(customer_id=customer.pk, data=data) for data in (HOME, WORK, HOME)]

    for address in [*addresses, addresses[0], addresses[2]]:
        services.address_set_default(address_id=address.pk, billing=True, shipping=True)
        assert defaults(customer) == ([address.pk], [address.pk])


def test_a_default_of_neither_kind_is_refused():
    address = services.address_add(customer_id=CustomerFactory().pk, data=HOME)

    with pytest.raises(InvalidAddress, match="billing, shipping or both"):
        services.address_set_default(address_id=address.pk)


def test_the_database_refuses_a_second_default_that_bypasses_the_service():
    address = AddressFactory(is_default_billing=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        AddressFactory(customer=address.customer, is_default_billing=True)


def test_an_address_update_changes_the_contents_but_not_the_defaults():
    customer = CustomerFactory()
    home = services.address_add(customer_id=customer.pk, data=HOME)

    services.address_update(
        address_id=home.pk,
        data=AddressData(
            line1="2 Rue de Rivoli", city="Paris", postal_code="75001", country="fr", phone="01 42 68 53 00"
        ),
    )

    home.refresh_from_db()
    assert (home.line1, home.city, home.country) == ("2 Rue de Rivoli", "Paris", "FR")
    # A local number on a French address is a French number.
    assert home.phone == "+33142685300"
    assert home.is_default_billing and home.is_default_shipping


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (AddressData(line1="", city="Leeds", postal_code="LS1 4AP", country="GB"), InvalidAddress, "line1"),
        (AddressData(line1="1 High St", city=" ", postal_code="LS1 4AP", country="GB"), InvalidAddress, "city"),
        (AddressData(line1="1 High St", city="Leeds", postal_code="LS1 4AP", country="UK"), InvalidAddress, "country"),
        (AddressData(line1="1 High St", city="Leeds", postal_code="", country="GB"), InvalidAddress, "postal_code"),
        (AddressData(line1="1 High St", city="Leeds", postal_code="ABC", country="GB"), InvalidAddress, "postal_code"),
        (
            AddressData(line1="1 High St", city="Leeds", postal_code="LS1 4AP", country="GB", phone="0113"),
            InvalidPhone,
            "phone",
        ),
    ],
)
def test_bad_addresses_are_refused_and_nothing_is_saved(data, error, field):
    customer = CustomerFactory()

    with pytest.raises(error) as raised:
        services.address_add(customer_id=customer.pk, data=data)

    assert raised.value.field == field
    assert not Address.objects.exists()
