from decimal import Decimal

import factory

from inventory.models import Bin, Category, KitComponent, Product, TaxClass, Warehouse


class TaxClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClass
        django_get_or_create = ("code",)

    code = "standard"
    name = "Standard rate"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    tax_class = factory.SubFactory(TaxClassFactory)
    cost_price = Decimal("10.0000")
    list_price = Decimal("24.9000")
    weight_kg = Decimal("0.500")


class KitFactory(ProductFactory):
    is_kit = True
    cost_price = Decimal("0")


class KitComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KitComponent

    kit = factory.SubFactory(KitFactory)
    component = factory.SubFactory(ProductFactory)
    quantity = 1


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"wh{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    line1 = "1 Depot Road"
    city = "Leeds"
    postal_code = "LS1 1AA"
    country = "GB"


class BinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bin

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"A-{n // 10:02d}-{n % 10}")
    pick_sequence = factory.Sequence(lambda n: n)
