"""The baskets the demo history is made of: carts priced by the pricing engine, each for a tier of
customer, a channel and a delivery method. A history order is a copy of one, so its lines, discounts,
tax, shipping and totals are the engine's, to the cent."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from psycopg.types.json import Jsonb

from crm.models import CustomerTier
from inventory.models import Product
from orders.demo.people import TIER_KEYS, Person
from orders.services.placement import _adjustment as adjustment_record
from orders.services.placement import _line_adjustments as line_adjustment_records
from pricing import selectors as pricing_selectors
from pricing.engine import Cart, CartLine, PricedCart, price_cart
from pricing.models import Channel

# How many baskets are priced for the customers of each tier (TIER_KEYS; 0: no tier).
TIER_BASKETS = {0: 250, 1: 50, 2: 40, 3: 60}
CHANNELS = {
    "retail": (("web", 45), ("marketplace", 20), ("phone", 12), ("api", 6), ("pos", 9), ("trade_show", 8)),
    "trade": (("phone", 40), ("trade_show", 25), ("web", 20), ("api", 15)),
}
# The first SKUs are the best sellers (inventory.demo stocks them well); they fill most baskets.
BEST_SELLERS = 60
PICKUP = "Pick-up"


@dataclass(frozen=True)
class Basket:
    tier: int
    channel: str
    pickup: bool
    method: str
    # The delivery method's charge, as the shipment records it; the order's shipping is what the engine
    # made of it (free delivery over 50).
    charge: Decimal
    priced: PricedCart


def baskets_price(rng, *, at) -> list[Basket]:
    """Carts of one to three products, priced by the engine as they would have been `at`."""
    products = list(Product.objects.filter(is_kit=False).order_by("sku"))
    best = [p for p in products[:BEST_SELLERS] if p.is_active]
    rest = [p for p in products[BEST_SELLERS:] if p.is_active] + list(
        Product.objects.filter(is_kit=True, is_active=True)
    )
    if not best:
        return []
    tiers = {TIER_KEYS.get(tier.code, 0): tier.pk for tier in CustomerTier.objects.all()}
    catalog = pricing_selectors.pricing_catalog(product_ids=[p.pk for p in best + rest], at=at)
    baskets = []
    for tier, count in TIER_BASKETS.items():
        kind = "trade" if tier == TIER_KEYS["trade"] else "retail"
        channels, weights = zip(*CHANNELS[kind], strict=True)
        for _ in range(count):
            channel = rng.choices(channels, weights=weights)[0]
            pickup = channel == Channel.POS or rng.random() < 0.05
            method = PICKUP if pickup else ("express" if rng.random() < 0.15 else "standard")
            lines: dict[int, int] = {}
            for _ in range(rng.choices((1, 2, 3), weights=(50, 33, 17))[0]):
                product = rng.choice(best if not rest or rng.random() < 0.65 else rest)
                # Trade customers buy by the case; others mostly one of a kind.
                lines[product.pk] = rng.choice((6, 12, 12, 24, 48) if kind == "trade" else (1,) * 9 + (2, 2, 3))
            charge = Decimal("0.00") if pickup else settings.SHIPPING_METHODS[method]
            cart = Cart(
                lines=tuple(CartLine(product_id, quantity) for product_id, quantity in lines.items()),
                at=at,
                channel=channel,
                customer_id=None,
                tier_id=tiers.get(tier),
                coupon_codes=(),
                shipping_price=charge,
                shipping_method=method,
            )
            baskets.append(Basket(tier, channel, pickup, method, charge, price_cart(cart, catalog)))
    return baskets


def baskets_store(baskets: list[Basket], people: list[Person]) -> None:
    """The baskets and the people into temporary tables for orders.demo.history (dropped on commit)."""
    with connection.cursor() as cursor:
        cursor.execute(_TABLES)
        for table, rows in (
            ("demo_basket", _basket_rows(baskets)),
            ("demo_basket_line", _line_rows(baskets)),
            ("demo_tier", _tier_rows(baskets)),
            ("demo_person", _person_rows(people)),
        ):
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Temporary tables get no statistics unless asked: the planner needs them for the joins.
            cursor.execute(f"ANALYZE {table}")


_TABLES = """
CREATE TEMP TABLE demo_basket (t int PRIMARY KEY, tier int, channel text, channel_label text, pickup bool,
    method text, charge numeric, lines int, subtotal numeric, discount numeric, shipping numeric, tax numeric,
    total numeric, pricing jsonb) ON COMMIT DROP;
CREATE TEMP TABLE demo_basket_line (t int, position int, product_id bigint, sku text, name text, quantity int,
    unit_price numeric, price_source text, base numeric, discount numeric, total numeric, tax_rate numeric,
    tax numeric, adjustments jsonb) ON COMMIT DROP;
CREATE TEMP TABLE demo_tier (tier int PRIMARY KEY, first_basket int, baskets int) ON COMMIT DROP;
CREATE TEMP TABLE demo_person (p int PRIMARY KEY, customer_id bigint, name text, email text, phone text,
    tier int, on_account bool, warehouse bigint, ship_to jsonb, billing jsonb) ON COMMIT DROP;
"""


def _basket_rows(baskets) -> list[tuple]:
    rows = []
    for t, basket in enumerate(baskets):
        priced = basket.priced
        pricing = {
            # As order_place keeps the engine's order-level result (Order.pricing).
            "order_adjustments": [adjustment_record(a) for a in priced.order_adjustments],
            "shipping_adjustment": adjustment_record(priced.shipping.adjustment)
            if priced.shipping.adjustment
            else None,
            "explanations": list(priced.explanations),
            "tax_breakdown": [[str(rate), str(base), str(tax)] for rate, base, tax in priced.tax_breakdown],
        }
        rows.append(
            (
                t,
                basket.tier,
                basket.channel,
                Channel(basket.channel).label,
                basket.pickup,
                basket.method,
                basket.charge,
                len(priced.lines),
                priced.subtotal,
                priced.discount_total,
                priced.shipping.price,
                priced.tax_total,
                priced.total,
                Jsonb(pricing),
            )
        )
    return rows


def _line_rows(baskets) -> list[tuple]:
    rows = []
    products = {
        p.pk: p for p in Product.objects.filter(pk__in={line.product_id for b in baskets for line in b.priced.lines})
    }
    for t, basket in enumerate(baskets):
        for position, line in enumerate(basket.priced.lines, start=1):
            product = products[line.product_id]
            rows.append(
                (
                    t,
                    position,
                    product.pk,
                    product.sku,
                    product.name,
                    line.quantity,
                    line.unit_price,
                    line.price_source,
                    line.base_total,
                    line.discount,
                    line.total,
                    line.tax_rate,
                    line.tax,
                    Jsonb(line_adjustment_records(line)),
                )
            )
    return rows


def _tier_rows(baskets):
    """Each tier's baskets are consecutive; a tier without any buys the baskets of customers without one."""
    first: dict[int, int] = {}
    count: dict[int, int] = {}
    for t, basket in enumerate(baskets):
        first.setdefault(basket.tier, t)
        count[basket.tier] = count.get(basket.tier, 0) + 1
    fallback = min(first)
    return [(tier, first.get(tier, first[fallback]), count.get(tier, count[fallback])) for tier in TIER_KEYS.values()]


def _person_rows(people) -> list[tuple]:
    return [
        (
            p,
            person.customer.pk if person.customer else None,
            person.name,
            person.email,
            person.phone,
            person.tier,
            person.on_account,
            person.warehouse_id,
            # As AddressInput.as_dict() has it, without its deep copy (a second for thousands of people).
            Jsonb(dict(vars(person.ship_to))),
            Jsonb(dict(vars(person.billing))),
        )
        for p, person in enumerate(people)
    ]
