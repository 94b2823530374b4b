"""How long the pricing engine takes for a 20-line cart against 200 running promotions.

Pure in-process measurement of pricing.engine.price_cart (no database): the catalog mixes every
promotion kind, a quarter of them exclusive, targeted at random products and categories, with
price-list prices and volume tiers, two coupons typed in. Target: under 5 ms per cart.

    python bench/pricing_engine.py
"""

import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing.engine import (
    Cart,
    CartLine,
    Catalog,
    CouponInfo,
    ListPrice,
    ProductInfo,
    PromotionInfo,
    price_cart,
)

KINDS = ["line_percent", "line_fixed", "order_percent", "order_fixed", "buy_x_get_y", "spend_threshold",
         "free_shipping", "tier_discount"]  # fmt: skip


def build(rng: random.Random):
    products = {}
    for product_id in range(1, 301):
        price = Decimal(rng.randint(300, 20000)) / 100
        products[product_id] = ProductInfo(
            product_id, f"SKU-{product_id}", price, price * Decimal("0.45"), Decimal("0.20"), rng.randint(1, 12)
        )
    list_prices = {
        product_id: (
            ListPrice(product_id, products[product_id].list_price * Decimal("0.9"), 10, "Trade"),
            ListPrice(product_id, products[product_id].list_price * Decimal("0.85"), 1, "Sale", is_sale=True),
        )
        for product_id in rng.sample(sorted(products), 120)
    }
    promotions = []
    for promotion_id in range(1, 201):
        kind = rng.choice(KINDS)
        promotions.append(
            PromotionInfo(
                promotion_id,
                f"Promotion {promotion_id}",
                kind,
                Decimal(rng.randint(1, 30)) if "fixed" not in kind else Decimal(rng.randint(1, 10)),
                priority=rng.randint(0, 5),
                is_exclusive=rng.random() < 0.25,
                requires_coupon=promotion_id in (1, 2),
                product_ids=frozenset(rng.sample(sorted(products), rng.randint(0, 15))),
                category_ids=frozenset(rng.sample(range(1, 13), rng.randint(0, 2))),
                min_subtotal=Decimal(rng.choice([0, 50, 100, 250])),
                buy_quantity=2,
                get_quantity=1,
                tier_id=1 if kind == "tier_discount" else None,
            )
        )
    coupons = {
        "SAVE10": CouponInfo(1, "SAVE10", 1, usage_limit=1000, times_used=10),
        "FREESHIP": CouponInfo(2, "FREESHIP", 2),
    }
    catalog = Catalog(products, list_prices, tuple(promotions), coupons, margin_floor=Decimal("1.1"))
    lines = tuple(CartLine(product_id, rng.randint(1, 12)) for product_id in rng.sample(sorted(products), 20))
    cart = Cart(
        lines=lines,
        at=datetime(2026, 11, 23, 12, tzinfo=UTC),
        tier_id=1,
        coupon_codes=("save10", "FREESHIP"),
        shipping_price=Decimal("4.95"),
    )
    return cart, catalog


def main() -> None:
    cart, catalog = build(random.Random(42))
    result = price_cart(cart, catalog)
    for _ in range(50):
        price_cart(cart, catalog)
    samples = []
    for _ in range(500):
        started = time.perf_counter()
        price_cart(cart, catalog)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    applied = {a.promotion_id for line in result.lines for a in line.adjustments} | {
        a.promotion_id for a in result.order_adjustments
    }
    print(f"cart_lines: {len(cart.lines)} lines")
    print(f"active_promotions: {len(catalog.promotions)} promotions")
    print(f"promotions_applied: {len(applied)} promotions")
    print(f"price_cart_p50: {samples[len(samples) // 2]:.2f} ms")
    print(f"price_cart_p95: {samples[int(len(samples) * 0.95)]:.2f} ms")
    print(f"price_cart_max: {samples[-1]:.2f} ms")


if __name__ == "__main__":
    main()
