import factory

from crm.models import Address, Customer, CustomerTier


class CustomerTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerTier
        django_get_or_create = ("code",)

    code = "gold"
    name = "Gold"
    rank = 3


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer as crm.services stores one: e-mail in lower case, phone in E.164 (blank here)."""

    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.test")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    line1 = factory.Sequence(lambda n: f"{n + 1} High Street")
    city = "Leeds"
    postal_code = "LS1 4AP"
    country = "GB"
