from decimal import Decimal

import factory

from pricing.models import Coupon, PriceList, PriceListItem, Promotion, TaxRate

# The customer factories live with crm's tests; re-exported for the pricing tests that import them here.
from tests.crm.factories import CustomerFactory, CustomerTierFactory  # noqa: F401
from tests.inventory.factories import ProductFactory, TaxClassFactory


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate

    tax_class = factory.SubFactory(TaxClassFactory)
    rate = Decimal("0.2000")
    valid_from = "2020-01-01"


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Price list {n}")


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("9.00")


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    name = factory.Sequence(lambda n: f"Promotion {n}")
    kind = Promotion.Kind.ORDER_PERCENT
    value = Decimal("10")


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"CODE{n}")
    promotion = factory.SubFactory(PromotionFactory, requires_coupon=True)
