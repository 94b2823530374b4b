"""Reads for pricing: above all, the catalog the engine prices a cart with."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from backoffice.money import CENT, quantize
from crm.models import Customer
from inventory.models import KitComponent, Product
from pricing.engine import (
    Cart,
    Catalog,
    CouponInfo,
    ListPrice,
    PricedCart,
    ProductInfo,
    PromotionInfo,
    margin_floor_price,
    price_cart,
)
from pricing.models import (
    CompetitorPrice,
    Coupon,
    CouponRedemption,
    PriceList,
    PriceListItem,
    PricingPolicy,
    Promotion,
    TaxRate,
)


def pricing_catalog(
    *,
    product_ids: Iterable[int],
    at: datetime,
    coupon_codes: Iterable[str] = (),
    customer_id: int | None = None,
    redeemed_by: tuple[str, str] | None = None,
) -> Catalog:
    """Everything `pricing.engine.price_cart` needs for these products, in a fixed number of queries
    (about nine, whatever the number of lines or promotions).

    `redeemed_by` names a document (e.g. ("orders.order", "42")) being re-priced: its own coupon uses
    do not count against the coupons' limits."""
    ids = set(product_ids)
    policy = PricingPolicy.current()
    products = list(
        Product.objects.filter(pk__in=ids).only(
            "id", "sku", "list_price", "cost_price", "category_id", "tax_class_id", "is_kit"
        )
    )
    rates = tax_rates(at)
    kit_costs = _kit_costs([p.pk for p in products if p.is_kit])
    return Catalog(
        products={
            p.pk: ProductInfo(
                p.pk,
                p.sku,
                p.list_price,
                kit_costs.get(p.pk, p.cost_price),
                rates.get(p.tax_class_id, Decimal(0)),
                p.category_id,
            )
            for p in products
        },
        list_prices=_list_prices(ids),
        promotions=tuple(running_promotions(at)),
        coupons=_coupons(coupon_codes, customer_id, redeemed_by),
        prices_include_tax=policy.prices_include_tax,
        margin_floor=policy.margin_floor,
        shipping_tax_rate=rates.get(policy.shipping_tax_class_id, Decimal(0))
        if policy.shipping_tax_class_id
        else Decimal(0),
        currency=policy.currency,
    )


def tax_rates(at: datetime) -> dict[int, Decimal]:
    """The rate of each tax class in force on the day of `at`."""
    rates: dict[int, Decimal] = {}
    for rate in TaxRate.objects.filter(valid_from__lte=at.date()).order_by("tax_class_id", "-valid_from"):
        rates.setdefault(rate.tax_class_id, rate.rate)
    return rates


def _kit_costs(kit_ids: list[int]) -> dict[int, Decimal]:
    """A kit costs what its components cost (it has no stock, and so no average cost, of its own)."""
    costs: dict[int, Decimal] = defaultdict(Decimal)
    if kit_ids:
        for component in KitComponent.objects.filter(kit_id__in=kit_ids).select_related("component"):
            costs[component.kit_id] += component.component.cost_price * component.quantity
    return costs


def _list_prices(product_ids: set[int]) -> dict[int, tuple[ListPrice, ...]]:
    prices: dict[int, list[ListPrice]] = defaultdict(list)
    items = PriceListItem.objects.filter(product_id__in=product_ids, price_list__is_active=True).select_related(
        "price_list"
    )
    for item in items:
        price_list = item.price_list
        prices[item.product_id].append(
            ListPrice(
                item.product_id,
                item.unit_price,
                item.min_quantity,
                price_list.name,
                price_list.is_sale,
                price_list.channel,
                price_list.tier_id,
                price_list.valid_from,
                price_list.valid_until,
            )
        )
    return {product_id: tuple(rows) for product_id, rows in prices.items()}


def running_promotions(at: datetime) -> list[PromotionInfo]:
    promotions = list(
        Promotion.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    )
    ids = [p.pk for p in promotions]
    targets: dict[int, set[int]] = defaultdict(set)
    for promotion_id, product_id in Promotion.products.through.objects.filter(promotion_id__in=ids).values_list(
        "promotion_id", "product_id"
    ):
        targets[promotion_id].add(product_id)
    categories: dict[int, set[int]] = defaultdict(set)
    for promotion_id, category_id in Promotion.categories.through.objects.filter(promotion_id__in=ids).values_list(
        "promotion_id", "category_id"
    ):
        categories[promotion_id].add(category_id)
    return [
        PromotionInfo(
            id=p.pk,
            name=p.name,
            kind=p.kind,
            value=p.value,
            priority=p.priority,
            is_exclusive=p.is_exclusive,
            requires_coupon=p.requires_coupon,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            channels=frozenset(p.channels or ()),
            product_ids=frozenset(targets[p.pk]),
            category_ids=frozenset(categories[p.pk]),
            min_subtotal=p.min_subtotal,
            buy_quantity=p.buy_quantity,
            get_quantity=p.get_quantity,
            get_discount_percent=p.get_discount_percent,
            tier_id=p.tier_id,
            exclude_sale_items=p.exclude_sale_items,
        )
        for p in promotions
    ]


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
