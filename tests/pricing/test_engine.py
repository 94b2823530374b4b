"""Worked examples of the pricing engine, one per rule, with the exact amounts a customer would see."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

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

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MUG = ProductInfo(1, "MUG", list_price=D("10.00"), cost_price=D("4.00"), tax_rate=D("0.20"), category_id=7)
PLATE = ProductInfo(2, "PLATE", list_price=D("25.00"), cost_price=D("10.00"), tax_rate=D("0.20"), category_id=8)
BOOK = ProductInfo(3, "BOOK", list_price=D("18.00"), cost_price=D("9.00"), tax_rate=D("0"), category_id=9)


def catalog(promotions=(), list_prices=(), coupons=(), **policy):
    prices = {}
    for price in list_prices:
        prices.setdefault(price.product_id, ()).__add__((price,))
        prices[price.product_id] = (*prices.get(price.product_id, ()), price)
    return Catalog(
        products={p.id: p for p in (MUG, PLATE, BOOK)},
        list_prices=prices,
        promotions=tuple(promotions),
        coupons={c.code.upper(): c for c in coupons},
        **policy,
    )


def cart(*lines, **fields):
    return Cart(lines=tuple(CartLine(product, quantity) for product, quantity in lines), at=NOW, **fields)


def test_list_prices_with_tax_included():
    result = price_cart(cart((1, 3), (3, 1)), catalog())

    assert [line.total for line in result.lines] == [D("30.00"), D("18.00")]
    assert result.total == D("48.00")
    assert result.tax_total == D("5.00")  # 30.00 * 0.2 / 1.2; books are zero-rated
    assert result.tax_breakdown == ((D("0"), D("18.00"), D("0.00")), (D("0.20"), D("30.00"), D("5.00")))


def test_prices_before_tax_add_the_tax_on_top():
    result = price_cart(
        cart((1, 3), shipping_price=D("4.99")), catalog(prices_include_tax=False, shipping_tax_rate=D("0.20"))
    )

    assert result.tax_total == D("7.00")  # 6.00 on the mugs + 1.00 on 4.99 shipping (0.998)
    assert result.total == D("30.00") + D("4.99") + D("7.00")


def test_volume_tiers_and_the_lowest_applicable_price_wins():
    prices = [
        ListPrice(1, D("9.00"), 10, "Trade"),
        ListPrice(1, D("8.00"), 50, "Trade"),
        ListPrice(1, D("8.50"), 1, "Phone deal", channel="phone"),
        ListPrice(1, D("7.00"), 1, "Gold club", tier_id=3),
    ]
    assert price_cart(cart((1, 9)), catalog(list_prices=prices)).lines[0].unit_price == D("10.00")
    assert price_cart(cart((1, 10)), catalog(list_prices=prices)).lines[0].unit_price == D("9.00")
    assert price_cart(cart((1, 60)), catalog(list_prices=prices)).lines[0].unit_price == D("8.00")
    assert price_cart(cart((1, 10), channel="phone"), catalog(list_prices=prices)).lines[0].unit_price == D("8.50")
    gold = price_cart(cart((1, 60), tier_id=3), catalog(list_prices=prices)).lines[0]
    assert (gold.unit_price, gold.price_source) == (D("7.00"), "Gold club")


def test_a_scheduled_sale_applies_only_in_its_dates():
    sale = ListPrice(
        1, D("7.50"), 1, "Winter sale", is_sale=True, valid_from=datetime(2026, 11, 20, tzinfo=UTC),
        valid_until=datetime(2026, 11, 30, tzinfo=UTC),
    )  # fmt: skip
    line = price_cart(cart((1, 2)), catalog(list_prices=[sale])).lines[0]
    assert (line.unit_price, line.is_on_sale) == (D("7.50"), True)
    later = Cart(lines=(CartLine(1, 2),), at=datetime(2026, 12, 1, tzinfo=UTC))
    assert price_cart(later, catalog(list_prices=[sale])).lines[0].unit_price == D("10.00")


def test_percentage_off_matching_items():
    promotion = PromotionInfo(1, "Mug week", "line_percent", D("15"), category_ids=frozenset({7}))
    result = price_cart(cart((1, 3), (2, 1)), catalog([promotion]))

    mug, plate = result.lines
    assert (mug.discount, mug.total) == (D("4.50"), D("25.50"))
    assert plate.discount == D("0.00")
    assert mug.adjustments[0].description == "Mug week: 15% off"
    assert result.total == D("50.50")


def test_fixed_amount_off_each_item():
    promotion = PromotionInfo(1, "Plate promo", "line_fixed", D("2.50"), product_ids=frozenset({2}))
    assert price_cart(cart((2, 4)), catalog([promotion])).lines[0].total == D("90.00")


def test_buy_two_get_one_free_takes_the_cheapest():
    promotion = PromotionInfo(1, "3 for 2", "buy_x_get_y", buy_quantity=2, get_quantity=1)
    result = price_cart(cart((1, 2), (2, 2)), catalog([promotion]))  # 4 units: one group of 3

    assert [line.discount for line in result.lines] == [D("10.00"), D("0.00")]
    assert result.total == D("60.00")
    assert result.lines[0].adjustments[0].description == "3 for 2: buy 2 get 1 free (cheapest)"


def test_buy_one_get_one_half_price():
    promotion = PromotionInfo(1, "BOGOHP", "buy_x_get_y", buy_quantity=1, get_quantity=1, get_discount_percent=D("50"))
    assert price_cart(cart((2, 5)), catalog([promotion])).lines[0].discount == D("25.00")  # 2 of 5 at half


def test_order_percentage_is_spread_over_the_lines_to_the_cent():
    promotion = PromotionInfo(1, "Ten off", "order_percent", D("10"))
    result = price_cart(cart((1, 1), (2, 1), (3, 1)), catalog([promotion]))  # 53.00 -> 5.30 off

    assert result.order_adjustments[0].amount == D("5.30")
    assert [line.order_discount for line in result.lines] == [D("1.00"), D("2.50"), D("1.80")]
    assert sum(line.total for line in result.lines) == result.total == D("47.70")


def test_fixed_amount_off_the_order_with_uneven_cents():
    promotion = PromotionInfo(1, "Five off", "order_fixed", D("5.00"))
    result = price_cart(cart((1, 1), (1, 1), (1, 1)), catalog([promotion]))

    assert sorted(line.order_discount for line in result.lines) == [D("1.66"), D("1.67"), D("1.67")]
    assert result.total == D("25.00")


def test_spend_threshold_appears_and_disappears_with_the_subtotal():
    promotion = PromotionInfo(1, "Spend 100", "spend_threshold", D("10"), min_subtotal=D("100.00"))

    above = price_cart(cart((2, 4)), catalog([promotion]))  # 100.00
    below = price_cart(cart((2, 3)), catalog([promotion]))  # 75.00

    assert above.total == D("90.00")
    assert above.order_adjustments[0].description == "Spend 100: 10% off for spending 100.00 or more"
    assert below.total == D("75.00") and below.order_adjustments == ()


def test_free_shipping_above_a_threshold_or_for_a_tier():
    threshold = PromotionInfo(1, "Free delivery", "free_shipping", min_subtotal=D("50.00"))
    gold = PromotionInfo(2, "Gold delivery", "free_shipping", tier_id=3)

    assert price_cart(cart((2, 2), shipping_price=D("4.95")), catalog([threshold])).shipping.price == D("0.00")
    assert price_cart(cart((2, 1), shipping_price=D("4.95")), catalog([threshold])).shipping.price == D("4.95")
    assert price_cart(cart((1, 1), shipping_price=D("4.95"), tier_id=3), catalog([gold])).total == D("10.00")


def test_club_tier_discount_can_exclude_sale_items():
    sale = ListPrice(2, D("20.00"), 1, "Sale", is_sale=True)
    club = PromotionInfo(1, "Gold club", "tier_discount", D("5"), tier_id=3, exclude_sale_items=True)

    result = price_cart(cart((1, 2), (2, 1), tier_id=3), catalog([club], [sale]))

    mug, plate = result.lines
    assert (mug.discount, plate.discount) == (D("1.00"), D("0.00"))
    assert price_cart(cart((1, 2), tier_id=None), catalog([club], [sale])).lines[0].discount == D("0.00")


def test_the_best_of_exclusive_and_stacked_promotions_wins_and_says_why():
    stack_a = PromotionInfo(1, "Mug week", "line_percent", D("10"), product_ids=frozenset({1}))
    stack_b = PromotionInfo(2, "Five off", "order_fixed", D("5.00"))
    exclusive = PromotionInfo(3, "Flash 20", "order_percent", D("20"), is_exclusive=True)

    small = price_cart(cart((1, 2)), catalog([stack_a, stack_b, exclusive]))  # stack: 2 + 5 = 7 > 4
    big = price_cart(cart((2, 4)), catalog([stack_a, stack_b, exclusive]))  # 20 > 5

    assert small.total == D("13.00")
    assert "Flash 20: exclusive, and the other promotions together give more." in small.explanations
    assert big.total == D("80.00")
    assert [a.promotion_name for a in big.order_adjustments] == ["Flash 20"]
    assert "Five off: not combined: the exclusive promotion 'Flash 20' gives more." in big.explanations


def test_margin_floor_caps_a_discount_and_says_so():
    deep = PromotionInfo(1, "Clearance", "line_percent", D("70"))
    result = price_cart(cart((1, 2)), catalog([deep], margin_floor=D("1.10")))  # floor 4.00*1.1*2 +20% = 10.56

    line = result.lines[0]
    assert line.total == D("10.56")
    assert line.adjustments[0].capped_by_margin_floor
    assert "reduced from 14.00 to 9.44: margin floor" in line.adjustments[0].description
    before_tax = price_cart(cart((1, 2)), catalog([deep], margin_floor=D("1.10"), prices_include_tax=False))
    assert before_tax.lines[0].total == D("8.80")


def test_order_discount_moves_to_lines_with_room_above_their_floor():
    eight_off = catalog(
        [PromotionInfo(1, "Eight off", "order_fixed", D("8.00"))],
        margin_floor=D("1.50"),
        prices_include_tax=False,
    )
    # Floors: mug 6.00 (room 4.00), book 13.50 (room 4.50). Pro rata the book would take 5.14.
    result = price_cart(cart((1, 1), (3, 1)), eight_off)

    assert [line.total for line in result.lines] == [D("6.50"), D("13.50")]
    assert result.order_adjustments[0].amount == D("8.00")
    assert not result.order_adjustments[0].capped_by_margin_floor


def test_order_discount_beyond_every_floor_is_reduced():
    nine_off = catalog(
        [PromotionInfo(1, "Nine off", "order_fixed", D("9.00"))],
        margin_floor=D("1.50"),
        prices_include_tax=False,
    )
    result = price_cart(cart((1, 1), (3, 1)), nine_off)

    assert [line.total for line in result.lines] == [D("6.00"), D("13.50")]
    assert result.order_adjustments[0].amount == D("8.50")
    assert "reduced from 9.00 to 8.50: margin floor" in result.order_adjustments[0].description


class TestCoupons:
    SUMMER = PromotionInfo(9, "Summer", "order_percent", D("10"), requires_coupon=True)

    def coupon(self, **fields):
        return CouponInfo(**{"id": 1, "code": "SUMMER10", "promotion_id": 9, **fields})

    def test_a_valid_code_in_any_case_applies(self):
        result = price_cart(cart((2, 2), coupon_codes=("summer10",)), catalog([self.SUMMER], coupons=[self.coupon()]))
        assert result.total == D("45.00")
        assert result.applied_coupons == ("summer10",)
        assert result.order_adjustments[0].coupon_code == "summer10"

    def test_without_the_code_the_promotion_does_not_apply(self):
        assert price_cart(cart((2, 2)), catalog([self.SUMMER], coupons=[self.coupon()])).total == D("50.00")

    @pytest.mark.parametrize(
        ("fields", "cart_fields", "reason"),
        [
            ({"valid_until": datetime(2026, 11, 1, tzinfo=UTC)}, {}, "expired"),
            ({"valid_from": datetime(2026, 12, 1, tzinfo=UTC)}, {}, "not valid yet"),
            ({"usage_limit": 100, "times_used": 100}, {}, "used up"),
            (
                {"per_customer_limit": 1, "customer_uses": 1},
                {"customer_id": 5},
                "already used by this customer",
            ),
            ({"per_customer_limit": 1}, {}, "limited per customer: choose the customer first"),
            ({"min_spend": D("60.00")}, {}, "minimum spend 60.00 not met"),
            ({"customer_id": 6}, {"customer_id": 5}, "not for this customer"),
            ({"is_active": False}, {}, "this code is no longer valid"),
        ],
    )
    def test_a_code_that_does_not_apply_says_why(self, fields, cart_fields, reason):
        result = price_cart(
            cart((2, 2), coupon_codes=("SUMMER10",), **cart_fields),
            catalog([self.SUMMER], coupons=[self.coupon(**fields)]),
        )
        assert result.rejected_coupons == (("SUMMER10", reason),)
        assert result.total == D("50.00")
        assert f"Coupon SUMMER10 not applied: {reason}." in result.explanations

    def test_unknown_and_repeated_codes(self):
        result = price_cart(
            cart((2, 2), coupon_codes=("NOPE", "summer10", "SUMMER10")),
            catalog([self.SUMMER], coupons=[self.coupon()]),
        )
        assert result.rejected_coupons == (("NOPE", "unknown code"), ("SUMMER10", "entered twice"))
        assert result.total == D("45.00")

    def test_a_threshold_coupon_below_its_threshold_is_refused_with_the_amount(self):
        spend = PromotionInfo(9, "Spend 100", "spend_threshold", D("10"), min_subtotal=D("100"), requires_coupon=True)
        result = price_cart(cart((2, 2), coupon_codes=("SUMMER10",)), catalog([spend], coupons=[self.coupon()]))
        assert result.rejected_coupons == (("SUMMER10", "the items must come to 100.00 or more"),)
