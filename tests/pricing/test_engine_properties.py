"""Properties of the pricing engine over random catalogs and carts (hypothesis)."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.engine import Cart, CartLine, Catalog, ListPrice, ProductInfo, PromotionInfo, price_cart

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
KINDS = ["line_percent", "line_fixed", "order_percent", "order_fixed", "buy_x_get_y", "spend_threshold",
         "free_shipping", "tier_discount"]  # fmt: skip

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
percent = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@st.composite
def products(draw):
    count = draw(st.integers(1, 6))
    result = {}
    for product_id in range(1, count + 1):
        price = draw(money)
        cost = draw(st.decimals(min_value=Decimal("0"), max_value=price * 2, places=4))
        rate = draw(st.sampled_from([Decimal("0"), Decimal("0.05"), Decimal("0.20")]))
        result[product_id] = ProductInfo(product_id, f"P{product_id}", price, cost, rate, draw(st.integers(1, 3)))
    return result


@st.composite
def promotions(draw, product_ids):
    count = draw(st.integers(0, 8))
    result = []
    for promotion_id in range(1, count + 1):
        kind = draw(st.sampled_from(KINDS))
        value = draw(percent) if "percent" in kind or kind in ("tier_discount", "spend_threshold") else draw(money)
        result.append(
            PromotionInfo(
                promotion_id,
                f"Promo {promotion_id}",
                kind,
                value,
                priority=draw(st.integers(0, 3)),
                is_exclusive=draw(st.booleans()),
                product_ids=frozenset(draw(st.lists(st.sampled_from(product_ids), max_size=2))),
                min_subtotal=draw(st.sampled_from([Decimal(0), Decimal("50"), Decimal("100")])),
                buy_quantity=draw(st.integers(1, 3)),
                get_quantity=draw(st.integers(1, 2)),
                get_discount_percent=draw(percent),
                tier_id=1 if kind == "tier_discount" else None,
                exclude_sale_items=draw(st.booleans()),
            )
        )
    return result


@st.composite
def scenarios(draw):
    catalog_products = draw(products())
    ids = sorted(catalog_products)
    list_prices = {
        product_id: (ListPrice(product_id, draw(money), draw(st.integers(1, 5)), "Sale", is_sale=True),)
        for product_id in draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
    }
    catalog = Catalog(
        products=catalog_products,
        list_prices=list_prices,
        promotions=tuple(draw(promotions(ids))),
        coupons={},
        prices_include_tax=draw(st.booleans()),
        margin_floor=draw(st.sampled_from([Decimal("0"), Decimal("1"), Decimal("1.25")])),
        shipping_tax_rate=draw(st.sampled_from([Decimal("0"), Decimal("0.20")])),
    )
    lines = tuple(
        CartLine(product_id, draw(st.integers(1, 12)))
        for product_id in draw(st.lists(st.sampled_from(ids), min_size=1, max_size=6))
    )
    cart = Cart(
        lines=lines,
        at=NOW,
        tier_id=draw(st.sampled_from([None, 1])),
        shipping_price=draw(st.sampled_from([Decimal("0"), Decimal("4.95")])),
    )
    return cart, catalog


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_totals_add_up_to_the_cent_and_are_never_negative(scenario):
    cart, catalog = scenario
    result = price_cart(cart, catalog)

    assert result.total >= 0
    assert all(line.total >= 0 and line.tax >= 0 for line in result.lines)
    tax = Decimal(0) if catalog.prices_include_tax else result.tax_total
    assert sum(line.total for line in result.lines) + result.shipping.price + tax == result.total
    assert result.lines_total == sum(line.total for line in result.lines)
    for line in result.lines:
        assert line.base_total - line.discount == line.total
        assert line.discount == sum(a.amount for a in line.adjustments) + line.order_discount
        assert all(value == value.quantize(Decimal("0.01")) for value in (line.total, line.tax, line.discount))
    assert sum(a.amount for a in result.order_adjustments) == sum(line.order_discount for line in result.lines)
    assert result.discount_total == result.subtotal - result.lines_total + result.shipping.discount


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_the_margin_floor_always_holds(scenario):
    cart, catalog = scenario
    for line in price_cart(cart, catalog).lines:
        product = catalog.products[line.product_id]
        gross = 1 + product.tax_rate if catalog.prices_include_tax else 1
        floor = (product.cost_price * catalog.margin_floor * gross * line.quantity).quantize(Decimal("0.01"))
        assert line.total >= min(line.base_total, floor)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_an_exclusive_promotion_never_combines(scenario):
    cart, catalog = scenario
    result = price_cart(cart, catalog)
    applied = {a.promotion_id for line in result.lines for a in line.adjustments}
    applied |= {a.promotion_id for a in result.order_adjustments if a.amount}
    if result.shipping.adjustment:
        applied.add(result.shipping.adjustment.promotion_id)
    exclusive = {p.id for p in catalog.promotions if p.is_exclusive}
    if applied & exclusive:
        assert len(applied) == 1


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.data())
def test_adding_then_removing_a_line_returns_to_the_earlier_totals(scenario, data):
    cart, catalog = scenario
    before = price_cart(cart, catalog)
    extra = CartLine(data.draw(st.sampled_from(sorted(catalog.products))), data.draw(st.integers(1, 5)))

    with_extra = Cart(**{**cart.__dict__, "lines": (*cart.lines, extra)})
    price_cart(with_extra, catalog)
    after = price_cart(Cart(**{**with_extra.__dict__, "lines": with_extra.lines[:-1]}), catalog)

    assert after == before
