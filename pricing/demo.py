"""Demo pricing: UK VAT rates, trade and sale price lists, a realistic set of promotions and coupons,
and competitor prices for repricing. Deterministic for a given random generator."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import CustomerTier
from inventory.models import Category, Product, TaxClass
from pricing import services
from pricing.models import Channel, Coupon, PriceList, PriceListItem, PricingPolicy, Promotion, TaxRate

COMPETITORS = ("Kitchen Barn", "HomeHub", "CookShop Online")


def seed_pricing(rng, options) -> str:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    tax = {t.code: t for t in TaxClass.objects.all()}
    for code, rate in (("standard", "0.2000"), ("reduced", "0.0500"), ("zero", "0.0000")):
        if code in tax:
            TaxRate.objects.get_or_create(
                tax_class=tax[code], valid_from="2011-01-04", defaults={"rate": Decimal(rate)}
            )
    policy = PricingPolicy.current()
    policy.margin_floor = Decimal("1.1000")
    policy.shipping_tax_class = tax.get("standard")
    policy.save()

    tiers = {t.code: t for t in CustomerTier.objects.all()}
    products = list(Product.objects.filter(is_kit=False, is_active=True).order_by("sku"))
    price_lists = _seed_price_lists(rng, now, tiers, products)
    promotions = _seed_promotions(now, tiers, products)
    coupons = _seed_coupons(now, promotions)
    competitor_prices = _seed_competitor_prices(rng, now, products)
    return (
        f"{price_lists} price lists, {len(promotions)} promotions, {coupons} coupons, "
        f"{competitor_prices} competitor prices"
    )


def _seed_price_lists(rng, now, tiers, products) -> int:
    trade, _ = PriceList.objects.get_or_create(name="Trade volume prices", defaults={"tier": tiers.get("trade")})
    sale, _ = PriceList.objects.get_or_create(
        name="Winter sale",
        defaults={
            "is_sale": True,
            "valid_from": now - timedelta(days=3),
            "valid_until": now + timedelta(days=25),
        },
    )
    phone, _ = PriceList.objects.get_or_create(name="Phone order prices", defaults={"channel": Channel.PHONE})
    items = []
    for product in products[:80]:
        for quantity, factor in ((10, "0.92"), (50, "0.85")):
            items.append(
                PriceListItem(
                    price_list=trade,
                    product=product,
                    min_quantity=quantity,
                    unit_price=(product.list_price * Decimal(factor)).quantize(Decimal("0.01")),
                )
            )
    for product in rng.sample(products, 30):
        items.append(
            PriceListItem(
                price_list=sale,
                product=product,
                unit_price=(product.list_price * Decimal("0.8")).quantize(Decimal("0.01")) - Decimal("0.01"),
            )
        )
    for product in products[:10]:
        items.append(
            PriceListItem(
                price_list=phone,
                product=product,
                unit_price=(product.list_price * Decimal("0.95")).quantize(Decimal("0.01")),
            )
        )
    PriceListItem.objects.bulk_create(items, ignore_conflicts=True)
    return 3


def _promotion(name, kind, **fields) -> Promotion:
    products = fields.pop("products", ())
    categories = fields.pop("categories", ())
    promotion, created = Promotion.objects.get_or_create(name=name, defaults={"kind": kind, **fields})
    if created:
        promotion.products.set(products)
        promotion.categories.set(categories)
    return promotion


def _seed_promotions(now, tiers, products) -> dict[str, Promotion]:
    categories = {c.name: c for c in Category.objects.all()}
    month = {"starts_at": now - timedelta(days=7), "ends_at": now + timedelta(days=23)}
    return {
        "mugs": _promotion(
            "Mug month",
            Promotion.Kind.LINE_PERCENT,
            value=Decimal("15"),
            categories=[categories["Drinkware"]],
            **month,
        ),
        "three_for_two": _promotion(
            "3 for 2 on kitchen tools",
            Promotion.Kind.BUY_X_GET_Y,
            buy_quantity=2,
            get_quantity=1,
            categories=[categories["Kitchen tools"]],
            **month,
        ),
        "spend": _promotion(
            "10% off orders over 100",
            Promotion.Kind.SPEND_THRESHOLD,
            value=Decimal("10"),
            min_subtotal=Decimal("100"),
        ),
        "free_shipping": _promotion("Free delivery over 50", Promotion.Kind.FREE_SHIPPING, min_subtotal=Decimal("50")),
        "gold_shipping": _promotion("Gold club free delivery", Promotion.Kind.FREE_SHIPPING, tier=tiers.get("gold")),
        "silver": _promotion(
            "Silver club 5%",
            Promotion.Kind.TIER_DISCOUNT,
            value=Decimal("5"),
            tier=tiers.get("silver"),
            exclude_sale_items=True,
        ),
        "gold": _promotion(
            "Gold club 10%",
            Promotion.Kind.TIER_DISCOUNT,
            value=Decimal("10"),
            tier=tiers.get("gold"),
            exclude_sale_items=True,
        ),
        "welcome": _promotion("Welcome 10%", Promotion.Kind.ORDER_PERCENT, value=Decimal("10"), requires_coupon=True),
        "five_off": _promotion(
            "5 off newsletter code",
            Promotion.Kind.ORDER_FIXED,
            value=Decimal("5"),
            requires_coupon=True,
            **month,
        ),
        "flash": _promotion(
            "Flash sale 25% (exclusive)",
            Promotion.Kind.ORDER_PERCENT,
            value=Decimal("25"),
            requires_coupon=True,
            is_exclusive=True,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=2),
        ),
        "cast_iron": _promotion(
            "8 off cast iron",
            Promotion.Kind.LINE_FIXED,
            value=Decimal("8"),
            products=products[40:44],
            priority=5,
            **month,
        ),
        "expired": _promotion(
            "Summer sale (ended)",
            Promotion.Kind.ORDER_PERCENT,
            value=Decimal("20"),
            starts_at=now - timedelta(days=150),
            ends_at=now - timedelta(days=60),
        ),
    }


def _seed_coupons(now, promotions) -> int:
    singles = (
        ("WELCOME10", promotions["welcome"], {"per_customer_limit": 1}),
        ("NEWS5", promotions["five_off"], {"min_spend": Decimal("30")}),
        ("FLASH25", promotions["flash"], {"usage_limit": 200}),
    )
    for code, promotion, limits in singles:
        Coupon.objects.get_or_create(code=code, defaults={"promotion": promotion, **limits})
    if not promotions["five_off"].coupon_batches.exists():
        services.coupon_batch_create(
            promotion_id=promotions["five_off"].pk,
            prefix="MAIL",
            size=200,
            valid_until=now + timedelta(days=30),
        )
    return Coupon.objects.count()


def _seed_competitor_prices(rng, now, products) -> int:
    if not products or products[0].competitor_prices.exists():
        return 0
    count = 0
    for product in rng.sample(products, 60):
        for competitor in rng.sample(COMPETITORS, rng.randint(1, 3)):
            factor = Decimal(rng.randint(85, 110)) / 100
            services.competitor_price_record(
                product_id=product.pk,
                competitor=competitor,
                price=(product.list_price * factor).quantize(Decimal("0.01")),
                observed_at=now - timedelta(days=rng.randint(0, 10)),
            )
            count += 1
    return count
