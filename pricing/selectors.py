"""Reads for pricing: above all, the catalog the engine prices a cart with."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, Func, JSONField, Q, QuerySet, Value, When
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from backoffice.money import CENT, quantize
from crm.models import Customer
from inventory.models import Product
from pricing import cache
from pricing.engine import (
    Cart,
    Catalog,
    CouponInfo,
    ListPrice,
    PricedCart,
    ProductInfo,
    margin_floor_price,
    price_cart,
)
from pricing.models import (
    CompetitorPrice,
    Coupon,
    CouponRedemption,
    PriceList,
    PriceListItem,
    Promotion,
)

# Correlated subqueries for one product, whose id they read as %(expressions)s. Written in SQL: the
# query that checks and prices an order runs for every order, and composing these with the ORM's
# expressions costs several times what running them does.
_PRICE_ROWS = """(
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'unit_price', item.unit_price::text, 'min_quantity', item.min_quantity, 'name', price_list.name,
               'is_sale', price_list.is_sale, 'channel', price_list.channel, 'tier_id', price_list.tier_id,
               'valid_from', price_list.valid_from, 'valid_until', price_list.valid_until
           ) ORDER BY price_list.name, price_list.id, item.min_quantity), '[]')
      FROM pricing_pricelistitem AS item
      JOIN pricing_pricelist AS price_list ON price_list.id = item.price_list_id
     WHERE item.product_id = %(expressions)s AND price_list.is_active
)"""
_KIT_ROWS = """(
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'component_id', part.component_id, 'quantity', part.quantity,
               'cost_price', component.cost_price::text
           ) ORDER BY part.id), '[]')
      FROM inventory_kitcomponent AS part
      JOIN inventory_product AS component ON component.id = part.component_id
     WHERE part.kit_id = %(expressions)s
)"""


def catalog_products(products: QuerySet[Product]) -> QuerySet[Product]:
    """`products` with what `pricing_catalog()` reads fresh for every cart, in the same query: their
    prices on active price lists (`price_rows`), a kit's components with their costs (`kit_rows`) and
    the version of the reference data cached per process (`catalog_version`, see pricing/cache.py)."""
    return products.annotate(
        price_rows=Func(F("pk"), template=_PRICE_ROWS, output_field=JSONField()),
        kit_rows=Func(F("pk"), template=_KIT_ROWS, output_field=JSONField()),
        catalog_version=cache.version_expression(),
    )


def pricing_catalog(
    *,
    product_ids: Iterable[int] = (),
    products: Iterable[Product] | None = None,
    at: datetime,
    coupon_codes: Iterable[str] = (),
    customer_id: int | None = None,
    redeemed_by: tuple[str, str] | None = None,
) -> Catalog:
    """Everything `pricing.engine.price_cart` needs for these products: the products with their
    price-list prices (one query), the policy, tax rates and running promotions (from this process's
    cache when it is current, else five queries) and the coupons typed in (up to three queries).

    `products` instead of `product_ids`: the products loaded already through `catalog_products()`
    (e.g. by the query that checks an order's SKUs), which saves the first query.
    `redeemed_by` names a document (e.g. ("orders.order", "42")) being re-priced: its own coupon uses
    do not count against the coupons' limits."""
    if products is None:
        products = catalog_products(Product.objects.filter(pk__in=set(product_ids)))
    products = list(products)
    version = products[0].catalog_version if products else cache.current_version()
    reference = cache.reference(version=version, at=at)
    rates = reference.rates_on(at.date())
    return Catalog(
        products={
            p.pk: ProductInfo(
                p.pk,
                p.sku,
                p.list_price,
                _kit_cost(p) if p.is_kit and p.kit_rows else p.cost_price,
                rates.get(p.tax_class_id, Decimal(0)),
                p.category_id,
            )
            for p in products
        },
        list_prices={p.pk: _list_prices(p) for p in products if p.price_rows},
        promotions=reference.running_promotions(at),
        coupons=_coupons(coupon_codes, customer_id, redeemed_by),
        prices_include_tax=reference.prices_include_tax,
        margin_floor=reference.margin_floor,
        shipping_tax_rate=rates.get(reference.shipping_tax_class_id, Decimal(0))
        if reference.shipping_tax_class_id
        else Decimal(0),
        currency=reference.currency,
    )


def _kit_cost(kit: Product) -> Decimal:
    """A kit costs what its components cost (it has no stock, and so no average cost, of its own)."""
    return sum((Decimal(row["cost_price"]) * row["quantity"] for row in kit.kit_rows), Decimal(0))


def _list_prices(product: Product) -> tuple[ListPrice, ...]:
    return tuple(
        ListPrice(
            product.pk,
            Decimal(row["unit_price"]),
            row["min_quantity"],
            row["name"],
            row["is_sale"],
            row["channel"],
            row["tier_id"],
            _moment(row["valid_from"]),
            _moment(row["valid_until"]),
        )
        for row in product.price_rows
    )


def _moment(value: str | None) -> datetime | None:
    """A timestamp as JSON renders it (ISO 8601 with the offset)."""
    return datetime.fromisoformat(value) if value else None


def _coupons(
    codes: Iterable[str], customer_id: int | None, redeemed_by: tuple[str, str] | None = None
) -> dict[str, CouponInfo]:
    wanted = {code.strip().upper() for code in codes if code and code.strip()}
    if not wanted:
        return {}
    query = Q()
    for code in wanted:
        query |= Q(code__iexact=code)
    coupons = list(Coupon.objects.filter(query))
    uses: dict[int, int] = {}
    if customer_id is not None and coupons:
        redemptions = CouponRedemption.objects.filter(
            coupon__in=coupons, customer_id=customer_id, released_at__isnull=True
        )
        if redeemed_by:
            redemptions = redemptions.exclude(source_type=redeemed_by[0], source_id=str(redeemed_by[1]))
        uses = dict(redemptions.values("coupon_id").annotate(n=Count("id")).values_list("coupon_id", "n"))
    own: set[int] = set()
    if redeemed_by and coupons:
        own = set(
            CouponRedemption.objects.filter(
                coupon__in=coupons,
                source_type=redeemed_by[0],
                source_id=str(redeemed_by[1]),
                released_at__isnull=True,
            ).values_list("coupon_id", flat=True)
        )
    return {
        c.code.upper(): CouponInfo(
            id=c.pk,
            code=c.code,
            promotion_id=c.promotion_id,
            is_active=c.is_active,
            usage_limit=c.usage_limit,
            times_used=c.times_used - (1 if c.pk in own else 0),
            per_customer_limit=c.per_customer_limit,
            customer_uses=uses.get(c.pk, 0),
            min_spend=c.min_spend,
            valid_from=c.valid_from,
            valid_until=c.valid_until,
            customer_id=c.customer_id,
        )
        for c in coupons
    }


@dataclass(frozen=True)
class RepriceSuggestion:
    product_id: int
    sku: str
    name: str
    current_price: Decimal
    lowest_price: Decimal
    lowest_competitor: str
    suggested_price: Decimal
    floor_price: Decimal

    @property
    def held_at_floor(self) -> bool:
        return self.suggested_price == self.floor_price


def reprice_suggestions(
    *, beat_by_amount: Decimal = Decimal(0), beat_by_percent: Decimal = Decimal(0), days: int = 30, at=None
) -> list[RepriceSuggestion]:
    """For each active product with competitor prices seen in the last `days`: beat the lowest one by
    the amount or percentage, never below the margin floor; only prices that would change are listed."""
    at = at or timezone.now()
    latest = (
        CompetitorPrice.objects.filter(observed_at__gte=at - timedelta(days=days), product__is_active=True)
        .order_by("product_id", "competitor", "-observed_at")
        .distinct("product_id", "competitor")
        .values("product_id", "competitor", "price")
    )
    lowest: dict[int, tuple[Decimal, str]] = {}
    for row in latest:
        if row["product_id"] not in lowest or row["price"] < lowest[row["product_id"]][0]:
            lowest[row["product_id"]] = (row["price"], row["competitor"])
    if not lowest:
        return []
    catalog = pricing_catalog(product_ids=lowest, at=at)
    names = dict(Product.objects.filter(pk__in=lowest).values_list("pk", "name"))
    suggestions = []
    for product_id, (price, competitor) in sorted(lowest.items()):
        product = catalog.products[product_id]
        target = price * (1 - beat_by_percent / 100) - beat_by_amount
        floor = quantize(margin_floor_price(product, catalog), CENT)
        suggested = max(quantize(target), floor)
        if suggested != product.list_price:
            suggestions.append(
                RepriceSuggestion(
                    product_id,
                    product.sku,
                    names[product_id],
                    product.list_price,
                    price,
                    competitor,
                    suggested,
                    floor,
                )
            )
    return suggestions


# --- staff UI: lists, look-ups and the cart preview -----------------------------------------------

PROMOTION_STATES = (
    ("running", "Running"),
    ("scheduled", "Scheduled"),
    ("ended", "Ended"),
    ("inactive", "Inactive"),
)


def promotion_list(*, state: str = "", kind: str = "", query: str = "", at=None) -> QuerySet[Promotion]:
    """Promotions with their `state` (one of PROMOTION_STATES) and `coupon_count`, highest priority first."""
    at = at or timezone.now()
    promotions = Promotion.objects.select_related("tier").annotate(
        state=Case(
            When(is_active=False, then=Value("inactive")),
            When(ends_at__lte=at, then=Value("ended")),
            When(starts_at__gt=at, then=Value("scheduled")),
            default=Value("running"),
        ),
        coupon_count=Count("coupons"),
    )
    if state:
        promotions = promotions.filter(state=state)
    if kind:
        promotions = promotions.filter(kind=kind)
    if query:
        promotions = promotions.filter(name__icontains=query)
    return promotions.order_by("-priority", "-id")


def coupon_list(*, query: str = "", promotion_id: int | None = None) -> QuerySet[Coupon]:
    coupons = Coupon.objects.select_related("promotion", "customer")
    if promotion_id is not None:
        coupons = coupons.filter(promotion_id=promotion_id)
    if query:
        coupons = coupons.filter(code__istartswith=query.strip())
    return coupons.order_by("code")


def price_list_list() -> QuerySet[PriceList]:
    return PriceList.objects.select_related("tier").annotate(item_count=Count("items")).order_by("name")


def price_list_items(*, price_list_id: int) -> QuerySet[PriceListItem]:
    return (
        PriceListItem.objects.filter(price_list_id=price_list_id)
        .select_related("product")
        .order_by("product__sku", "min_quantity")
    )


def competitor_price_list(*, product_id: int | None = None) -> QuerySet[CompetitorPrice]:
    prices = CompetitorPrice.objects.select_related("product", "recorded_by")
    if product_id is not None:
        prices = prices.filter(product_id=product_id)
    return prices.order_by("-observed_at", "-id")


def products_by_sku(*, skus: Iterable[str]) -> dict[str, Product]:
    """The products with these SKUs, by upper-case SKU (SKUs compare without regard to case)."""
    wanted = {sku.strip().upper() for sku in skus if sku and sku.strip()}
    if not wanted:
        return {}
    # Upper("sku") is the expression of the unique index, so this is an index lookup.
    products = Product.objects.annotate(sku_key=Upper("sku")).filter(sku_key__in=wanted)
    return {product.sku_key: product for product in products}


def customer_find(*, text: str) -> Customer | None:
    """A customer by number (its id) or e-mail address; None when there is none."""
    text = text.strip()
    customers = Customer.objects.select_related("tier")
    if text.isdigit():
        return customers.filter(pk=int(text)).first()
    # crm stores e-mail addresses in lower case; Lower("email") is the expression of its index.
    return customers.annotate(email_key=Lower("email")).filter(email_key=text.lower()).order_by("pk").first()


def cart_price(*, cart: Cart) -> PricedCart:
    """Price a cart as an order would be priced: the engine on the catalog for the cart's products."""
    catalog = pricing_catalog(
        product_ids={line.product_id for line in cart.lines},
        at=cart.at,
        coupon_codes=cart.coupon_codes,
        customer_id=cart.customer_id,
    )
    return price_cart(cart, catalog)
