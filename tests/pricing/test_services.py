from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from pricing import selectors, services
from pricing.engine import Cart, CartLine, price_cart
from pricing.exceptions import CouponUnavailable
from pricing.models import Coupon, CouponRedemption, PricingPolicy
from tests.inventory.factories import CategoryFactory, KitComponentFactory, KitFactory, ProductFactory
from tests.pricing.factories import (
    CouponFactory,
    CustomerFactory,
    PriceListItemFactory,
    PromotionFactory,
    TaxRateFactory,
)

pytestmark = pytest.mark.django_db


def price(products, *, codes=(), customer=None, **cart):
    now = timezone.now()
    catalog = selectors.pricing_catalog(
        product_ids=[p.pk for p, _ in products],
        at=now,
        coupon_codes=codes,
        customer_id=customer.pk if customer else None,
    )
    lines = tuple(CartLine(p.pk, q) for p, q in products)
    return price_cart(
        Cart(
            lines=lines,
            at=now,
            coupon_codes=tuple(codes),
            customer_id=customer.pk if customer else None,
            **cart,
        ),
        catalog,
    )


def test_the_catalog_is_loaded_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    category = CategoryFactory()
    products = [ProductFactory(category=category) for _ in range(20)]
    TaxRateFactory(tax_class=products[0].tax_class)
    for product in products:
        PriceListItemFactory(product=product)
    for _ in range(30):
        promotion = PromotionFactory()
        promotion.products.add(*products[:3])
        promotion.categories.add(category)
    CouponFactory(code="WELCOME")
    customer = CustomerFactory()
    PricingPolicy.current()  # created by a migration; a flushed test database may lack it

    with django_assert_max_num_queries(9):
        catalog = selectors.pricing_catalog(
            product_ids=[p.pk for p in products],
            at=timezone.now(),
            coupon_codes=["welcome"],
            customer_id=customer.pk,
        )

    assert len(catalog.promotions) == 31
    assert catalog.products[products[0].pk].tax_rate == D("0.2000")
    assert len(catalog.list_prices) == 20
    assert "WELCOME" in catalog.coupons


def test_a_kit_costs_what_its_components_cost():
    kit = KitFactory(list_price=D("30.00"))
    KitComponentFactory(kit=kit, component__cost_price=D("4.00"), quantity=2)
    KitComponentFactory(kit=kit, component__cost_price=D("5.50"), quantity=1)

    catalog = selectors.pricing_catalog(product_ids=[kit.pk], at=timezone.now())

    assert catalog.products[kit.pk].cost_price == D("13.50")


def test_prices_from_the_database_with_tax_and_a_coupon():
    product = ProductFactory(list_price=D("24.00"), cost_price=D("8.00"))
    TaxRateFactory(tax_class=product.tax_class, rate=D("0.2000"))
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))

    result = price([(product, 2)], codes=["tenoff"])

    assert result.total == D("38.00")
    assert result.tax_total == D("6.33")  # 38.00 * 0.2 / 1.2 = 6.333
    assert result.applied_coupons == ("tenoff",)


def test_redeem_and_release_count_uses():
    coupon = CouponFactory(code="ONCE", usage_limit=1)
    customer = CustomerFactory()

    services.coupon_redeem(codes=["once"], customer_id=customer.pk, source_type="orders.order", source_id="1")
    # The same order redeeming again (a retried request) counts once.
    services.coupon_redeem(codes=["ONCE"], customer_id=customer.pk, source_type="orders.order", source_id="1")
    coupon.refresh_from_db()
    assert coupon.times_used == 1
    with pytest.raises(CouponUnavailable, match="ONCE: used up"):
        services.coupon_redeem(codes=["ONCE"], customer_id=customer.pk, source_type="orders.order", source_id="2")

    assert services.coupon_release(source_type="orders.order", source_id="1") == 1
    coupon.refresh_from_db()
    assert coupon.times_used == 0
    services.coupon_redeem(codes=["ONCE"], customer_id=customer.pk, source_type="orders.order", source_id="2")
    assert CouponRedemption.objects.filter(coupon=coupon, released_at__isnull=True).count() == 1


def test_per_customer_limit():
    CouponFactory(code="WELCOME", per_customer_limit=1)
    ann, bob = CustomerFactory(), CustomerFactory()

    services.coupon_redeem(codes=["WELCOME"], customer_id=ann.pk, source_type="orders.order", source_id="1")
    services.coupon_redeem(codes=["WELCOME"], customer_id=bob.pk, source_type="orders.order", source_id="2")
    with pytest.raises(CouponUnavailable, match="already used by this customer"):
        services.coupon_redeem(codes=["WELCOME"], customer_id=ann.pk, source_type="orders.order", source_id="3")

    # The engine tells the clerk before the order is placed.
    product = ProductFactory()
    result = price([(product, 1)], codes=["welcome"], customer=ann)
    assert result.rejected_coupons == (("welcome", "already used by this customer"),)


def test_a_batch_of_unique_codes():
    promotion = PromotionFactory(requires_coupon=True)

    batch = services.coupon_batch_create(promotion_id=promotion.pk, prefix="xmas", size=500)

    codes = list(Coupon.objects.filter(batch=batch).values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 500
    assert all(code.startswith("XMAS-") and len(code) == 13 for code in codes)
    assert not any(ch in code[5:] for code in codes for ch in "01OIL")


def test_reprice_suggestions_beat_the_lowest_competitor_but_not_the_floor():
    policy = PricingPolicy.current()
    policy.margin_floor = D("1.2000")
    policy.save()
    cheap = ProductFactory(sku="KETTLE", list_price=D("40.00"), cost_price=D("20.00"))
    tight = ProductFactory(sku="TOASTER", list_price=D("30.00"), cost_price=D("22.00"))
    TaxRateFactory(tax_class=cheap.tax_class, rate=D("0.2000"))
    now = timezone.now()
    services.competitor_price_record(product_id=cheap.pk, competitor="Argos", price=D("36.00"), observed_at=now)
    services.competitor_price_record(product_id=cheap.pk, competitor="Currys", price=D("34.99"), observed_at=now)
    # An old observation does not count once a newer one from the same competitor exists.
    services.competitor_price_record(
        product_id=cheap.pk, competitor="Currys", price=D("29.99"), observed_at=now - timedelta(days=2)
    )
    services.competitor_price_record(product_id=tight.pk, competitor="Argos", price=D("25.00"), observed_at=now)

    suggestions = {s.sku: s for s in selectors.reprice_suggestions(beat_by_amount=D("0.50"))}

    assert suggestions["KETTLE"].suggested_price == D("34.49")
    assert (suggestions["KETTLE"].lowest_price, suggestions["KETTLE"].lowest_competitor) == (
        D("34.99"),
        "Currys",
    )
    # 22.00 x 1.2 x 1.2 (tax) = 31.68: above the competitor, so held at the floor.
    assert suggestions["TOASTER"].suggested_price == D("31.68")
    assert suggestions["TOASTER"].held_at_floor

    assert services.reprice_accept(suggestions={s.product_id: s.suggested_price for s in suggestions.values()}) == 2
    cheap.refresh_from_db()
    assert cheap.list_price == D("34.49")
