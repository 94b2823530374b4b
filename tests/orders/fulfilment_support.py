"""A small warehouse floor for the fulfilment tests: bins in walking order, products with barcodes
and weights, a kit, and a helper placing orders that are ready to fulfil.

Import the fixture into a test module: `from tests.orders.fulfilment_support import floor_fixture  # noqa: F401`
(its name as a fixture is `floor`).
"""

from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from inventory.models import Bin, BinStock, Product, Warehouse
from inventory.services import StockLine, stock_receive
from orders.models import Order, Shipment, WarehousePriority
from orders.services.placement import order_place
from pricing.models import PricingPolicy
from tests.inventory.factories import BinFactory, KitComponentFactory, KitFactory, ProductFactory, WarehouseFactory
from tests.orders.factories import order
from tests.pricing.factories import TaxRateFactory


@dataclass
class Floor:
    leeds: Warehouse
    bins: dict[str, Bin]
    mug: Product
    plate: Product
    coaster: Product
    gift: Product

    def place(self, *lines, priority: int = 0, **fields) -> Order:
        """An order ready to fulfil (cash on delivery), its shipment at the given priority."""
        placed = order_place(data=order(*lines, **fields))
        if priority:
            Shipment.objects.filter(order=placed).update(priority=priority)
        return placed

    def in_bins(self, product: Product) -> dict[str, int]:
        return dict(BinStock.objects.filter(product=product).values_list("bin__code", "on_hand"))


@pytest.fixture(name="floor")
def floor_fixture(db) -> Floor:
    PricingPolicy.current()
    leeds = WarehouseFactory(code="LDS", name="Leeds")
    WarehousePriority.objects.create(country="GB", warehouse=leeds, priority=1)
    bins = {
        code: BinFactory(warehouse=leeds, code=code, pick_sequence=sequence)
        for code, sequence in (("A-01", 10), ("B-01", 20), ("C-01", 30))
    }
    mug = ProductFactory(sku="MUG", name="Enamel mug", barcode="5012345678900", weight_kg=D("0.350"))
    plate = ProductFactory(sku="PLATE", name="Stoneware plate", barcode="5012345678917", weight_kg=D("0.600"))
    coaster = ProductFactory(sku="COASTER", name="Cork coaster", barcode="5012345678924", weight_kg=D("0.050"))
    gift = KitFactory(sku="GIFT", name="Gift set", barcode="", weight_kg=D("0"), list_price=D("30.00"))
    KitComponentFactory(kit=gift, component=mug, quantity=1)
    KitComponentFactory(kit=gift, component=coaster, quantity=2)
    TaxRateFactory(tax_class=mug.tax_class, rate=D("0.2000"))
    stock_receive(
        warehouse_id=leeds.pk,
        lines=[
            StockLine(mug.pk, 3, bins["C-01"].pk),
            StockLine(mug.pk, 4, bins["A-01"].pk),
            StockLine(plate.pk, 6, bins["B-01"].pk),
            StockLine(coaster.pk, 10, bins["B-01"].pk),
        ],
    )
    return Floor(leeds=leeds, bins=bins, mug=mug, plate=plate, coaster=coaster, gift=gift)
