from decimal import Decimal as D

import pytest

from inventory import services as inventory_services
from inventory.services import StockLine
from orders.models import WarehousePriority
from pricing.models import PricingPolicy
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.pricing.factories import TaxRateFactory


@pytest.fixture
def shop():
    PricingPolicy.current()
    leeds = WarehouseFactory(code="LDS")
    bristol = WarehouseFactory(code="BRS", is_pickup_location=True)
    mug = ProductFactory(sku="MUG", list_price=D("12.00"), cost_price=D("4.00"))
    plate = ProductFactory(sku="PLATE", list_price=D("20.00"), cost_price=D("8.00"))
    TaxRateFactory(tax_class=mug.tax_class, rate=D("0.2000"))
    for warehouse, quantity in ((leeds, 10), (bristol, 4)):
        inventory_services.stock_receive(
            warehouse_id=warehouse.pk, lines=[StockLine(mug.pk, quantity), StockLine(plate.pk, quantity)]
        )
    WarehousePriority.objects.create(country="GB", warehouse=leeds, priority=1)
    WarehousePriority.objects.create(country="GB", warehouse=bristol, priority=2)
    return {"leeds": leeds, "bristol": bristol, "mug": mug, "plate": plate}


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of the test's own (label and document PDFs)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def carriers(shop, media):
    """The carriers of tests/orders/shipping_support.table_rate_carriers, with the shop."""
    from tests.orders.shipping_support import table_rate_carriers

    return table_rate_carriers()
