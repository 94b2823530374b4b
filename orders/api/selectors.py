"""Reads for the API: an order with everything its representation shows, stock pages, a customer by
e-mail address. A fixed number of queries each, whatever the size of the order or the page."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Lower, Upper

from crm.models import Customer
from inventory.models import KitComponent, Product, StockLevel, Warehouse
from orders.models import Order, OrderLine, Shipment, ShipmentLine


def order_get(*, number: str) -> Order | None:
    """The order with its lines and its shipments (each with warehouse and lines): four queries."""
    shipments = Shipment.objects.select_related("warehouse").order_by("position")
    shipment_lines = ShipmentLine.objects.select_related("order_line").order_by("order_line__position")
    return (
        Order.objects.filter(number=number)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position")),
            Prefetch("shipments", queryset=shipments),
            Prefetch("shipments__lines", queryset=shipment_lines),
        )
        .first()
    )


def customer_id_for_email(*, email: str) -> int | None:
    """The active customer with this (normalised) e-mail address, if there is one."""
    # crm stores addresses in lower case under a unique index on Lower("email"): one index lookup.
    return (
        Customer.objects.annotate(email_key=Lower("email"))
        .filter(email_key=email, is_active=True)
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class WarehouseStock:
    code: str
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class SkuStock:
    sku: str
    is_active: bool
    updated_at: datetime
    warehouses: list[WarehouseStock]

    @property
    def available(self) -> int:
        return sum(w.available for w in self.warehouses)


@dataclass(frozen=True)
class StockPage:
    items: list[SkuStock]
    # The key to continue after (the last SKU) when more follow.
    next_after: str | None
    unknown_skus: list[str]


def stock_for_skus(*, skus: list[str]) -> StockPage:
    """Stock of the given SKUs (compared without regard to case), active or not, in SKU order."""
    wanted = {sku.upper(): sku for sku in skus}
    products = list(Product.objects.annotate(sku_key=Upper("sku")).filter(sku_key__in=list(wanted)).order_by("sku_key"))
    found = {product.sku_key for product in products}
    unknown = [sku for key, sku in wanted.items() if key not in found]
    return StockPage(items=_with_stock(products), next_after=None, unknown_skus=unknown)


def stock_list(*, after: str = "", limit: int, updated_since: datetime | None = None) -> StockPage:
    """Active SKUs in SKU order after `after`, `limit` at a time (keyset on the SKU's unique index).

    With `updated_since`: only SKUs whose product, stock level or (for a kit) a component's stock level
    changed after it, and then also the SKUs deactivated since, so that a storefront syncing
    incrementally learns that they are no longer sold.
    """
    products = Product.objects.annotate(sku_key=Upper("sku"))
    if updated_since is None:
        products = products.filter(is_active=True)
    else:
        products = products.filter(_changed_since(updated_since))
    if after:
        products = products.filter(sku_key__gt=after.upper())
    page = list(products.order_by("sku_key")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return StockPage(items=_with_stock(page), next_after=page[-1].sku if more else None, unknown_skus=[])


def _changed_since(moment: datetime) -> Q:
    levels = StockLevel.objects.filter(updated_at__gt=moment)
    return (Q(is_active=True) | Q(updated_at__gt=moment)) & (
        Q(updated_at__gt=moment)
        | Exists(levels.filter(product_id=OuterRef("pk")))
        | Exists(KitComponent.objects.filter(kit_id=OuterRef("pk"), component__in=levels.values("product_id")))
    )


def _with_stock(products: list[Product]) -> list[SkuStock]:
    """Each product's stock in every active warehouse: three queries (warehouses, kit parts, levels).

    A kit has no stock of its own: per warehouse, it has as many as its components make whole
    (on hand and available alike), and reserved is the difference.
    """
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code").only("pk", "code"))
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for kit_id, component_id, quantity in KitComponent.objects.filter(
        kit_id__in=[p.pk for p in products if p.is_kit]
    ).values_list("kit_id", "component_id", "quantity"):
        parts[kit_id].append((component_id, quantity))
    wanted = {p.pk for p in products if not p.is_kit} | {c for pairs in parts.values() for c, _ in pairs}
    levels: dict[int, dict[int, StockLevel]] = defaultdict(dict)
    for level in StockLevel.objects.filter(product_id__in=wanted, warehouse__in=warehouses).only(
        "product_id", "warehouse_id", "on_hand", "reserved", "available", "updated_at"
    ):
        levels[level.product_id][level.warehouse_id] = level
    return [_sku_stock(product, warehouses, parts.get(product.pk), levels) for product in products]


def _sku_stock(product, warehouses, kit_parts, levels) -> SkuStock:
    own = [(product.pk, 1)] if not product.is_kit else kit_parts or []
    rows = []
    for warehouse in warehouses:
        counted = [(levels[pk].get(warehouse.pk), per_unit) for pk, per_unit in own]
        on_hand = min((level.on_hand // per if level else 0 for level, per in counted), default=0)
        available = min((level.available // per if level else 0 for level, per in counted), default=0)
        rows.append(WarehouseStock(warehouse.code, on_hand, on_hand - available, available))
    changes = [level.updated_at for pk, _ in own for level in levels[pk].values()]
    return SkuStock(product.sku, product.is_active, max([product.updated_at, *changes]), rows)
