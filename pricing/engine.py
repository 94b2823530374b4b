"""The pricing engine: one pure function, `price_cart(cart, catalog)`.

It reads nothing and writes nothing: `pricing.selectors.pricing_catalog()` loads what it needs (the
products, their price-list prices, the running promotions, the coupons typed in) in a fixed number
of queries, and the caller decides what to do with the result. The same cart and catalog always give
the same result, which is what lets a storefront, the API and a clerk see the same prices.

The rules, in order:
1. Unit price: of the list price and every price-list price that applies to the line (list active and
   in its dates, channel and customer tier matching or blank, `min_quantity` reached), the lowest wins.
   A price from a sale list marks the line "on sale".
2. Coupons are checked; each refused code gets a reason. Promotions that need a coupon apply only
   with an accepted one.
3. Promotions that can apply are split into the stackable ones and the exclusive ones. The stackable
   ones are applied together; each exclusive one is tried alone; the customer gets whichever of these
   gives the largest total discount (ties: the stackable set, then the higher priority).
4. Within a set: item promotions first (by priority, highest first), each on what is left of the line
   after the ones before it; then order promotions (percent, fixed, spend threshold) on what is left of
   the items, spread over the lines in proportion to their amounts, to the cent; then free shipping.
   Spend thresholds compare the items' subtotal after item discounts.
5. Margin floor: no promotion takes a line below cost x `margin_floor` x quantity (net of tax). A
   discount that would is reduced to what the floor allows, and its explanation says so. (A price-list
   price below the floor is a deliberate price and stands; promotions then take nothing off that line.)
6. Tax per line at its tax class's rate: included in the price or added on top, by the policy.
   Order total = sum of line totals + shipping (+ tax when prices exclude tax).

Money is Decimal, rounded half-up to the cent by backoffice.money.quantize.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from backoffice.money import CENT, quantize

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Promotion kinds (values of pricing.models.Promotion.Kind, repeated so the engine imports no models).
LINE_PERCENT = "line_percent"
LINE_FIXED = "line_fixed"
ORDER_PERCENT = "order_percent"
ORDER_FIXED = "order_fixed"
BUY_X_GET_Y = "buy_x_get_y"
SPEND_THRESHOLD = "spend_threshold"
FREE_SHIPPING = "free_shipping"
TIER_DISCOUNT = "tier_discount"
ITEM_KINDS = (LINE_PERCENT, LINE_FIXED, BUY_X_GET_Y, TIER_DISCOUNT)
ORDER_KINDS = (ORDER_PERCENT, ORDER_FIXED, SPEND_THRESHOLD)


# --- input --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    list_price: Decimal
    cost_price: Decimal
    tax_rate: Decimal
    category_id: int | None = None


@dataclass(frozen=True)
class ListPrice:
    """One price-list price, flattened with the list's conditions."""

    product_id: int
    unit_price: Decimal
    min_quantity: int
    list_name: str
    is_sale: bool = False
    channel: str = ""
    tier_id: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class PromotionInfo:
    id: int
    name: str
    kind: str
    value: Decimal = Decimal(0)
    priority: int = 0
    is_exclusive: bool = False
    requires_coupon: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    channels: frozenset[str] = frozenset()
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    min_subtotal: Decimal = Decimal(0)
    buy_quantity: int = 0
    get_quantity: int = 0
    get_discount_percent: Decimal = HUNDRED
    tier_id: int | None = None
    exclude_sale_items: bool = False

    def running(self, at: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= at) and (self.ends_at is None or at < self.ends_at)

    def targets(self, product: ProductInfo) -> bool:
        if not self.product_ids and not self.category_ids:
            return True
        return product.id in self.product_ids or product.category_id in self.category_ids


@dataclass(frozen=True)
class CouponInfo:
    id: int
    code: str
    promotion_id: int
    is_active: bool = True
    usage_limit: int | None = None
    times_used: int = 0
    per_customer_limit: int | None = None
    # How often the cart's customer has used it (loaded for that customer).
    customer_uses: int = 0
    min_spend: Decimal = Decimal(0)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    customer_id: int | None = None


@dataclass(frozen=True)
class Catalog:
    """Everything the engine may know, loaded by pricing.selectors.pricing_catalog()."""

    products: dict[int, ProductInfo]
    list_prices: dict[int, tuple[ListPrice, ...]]
    promotions: tuple[PromotionInfo, ...]
    coupons: dict[str, CouponInfo]  # by upper-case code
    prices_include_tax: bool = True
    margin_floor: Decimal = Decimal(1)
    shipping_tax_rate: Decimal = Decimal(0)
    currency: str = "GBP"


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...]
    at: datetime
    channel: str = "web"
    customer_id: int | None = None
    tier_id: int | None = None
    coupon_codes: tuple[str, ...] = ()
    shipping_price: Decimal = ZERO
    shipping_method: str = ""


# --- output -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """One discount and why: `amount` is positive, in the shop currency."""

    promotion_id: int
    promotion_name: str
    kind: str
    amount: Decimal
    description: str
    coupon_code: str = ""
    capped_by_margin_floor: bool = False


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    sku: str
    quantity: int
    unit_price: Decimal
    price_source: str
    is_on_sale: bool
    base_total: Decimal
    # Item promotions on this line, and this line's share of each order promotion.
    adjustments: tuple[Adjustment, ...]
    order_discount: Decimal
    discount: Decimal
    total: Decimal
    tax_rate: Decimal
    tax: Decimal


@dataclass(frozen=True)
class ShippingCharge:
    method: str
    base_price: Decimal
    discount: Decimal
    price: Decimal
    tax_rate: Decimal
    tax: Decimal
    adjustment: Adjustment | None = None


@dataclass(frozen=True)
class PricedCart:
    currency: str
    prices_include_tax: bool
    lines: tuple[PricedLine, ...]
    order_adjustments: tuple[Adjustment, ...]
    shipping: ShippingCharge
    subtotal: Decimal
    discount_total: Decimal
    lines_total: Decimal
    tax_total: Decimal
    tax_breakdown: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, taxed amount, tax)
    total: Decimal
    applied_coupons: tuple[str, ...]
    rejected_coupons: tuple[tuple[str, str], ...]  # (code as typed, reason)
    explanations: tuple[str, ...]


# --- the engine ---------------------------------------------------------------------------------


@dataclass
class _Line:
    product: ProductInfo
    quantity: int
    unit_price: Decimal
    price_source: str
    is_on_sale: bool
    base: Decimal
    floor: Decimal
    remaining: Decimal = ZERO
    adjustments: list[Adjustment] = field(default_factory=list)
    order_discount: Decimal = ZERO

    @property
    def headroom(self) -> Decimal:
        return max(self.remaining - self.floor, ZERO)

    def fresh(self) -> _Line:
        """A copy before any promotion (cheaper than dataclasses.replace, which this is hot enough for)."""
        return _Line(
            self.product,
            self.quantity,
            self.unit_price,
            self.price_source,
            self.is_on_sale,
            self.base,
            self.floor,
            self.base,
        )


@dataclass
class _Outcome:
    lines: list[_Line]
    order_adjustments: list[Adjustment]
    shipping: Adjustment | None
    applied: set[int]

    @property
    def discount(self) -> Decimal:
        total = sum((line.base - line.remaining for line in self.lines), ZERO)
        return total + (self.shipping.amount if self.shipping else ZERO)


def price_cart(cart: Cart, catalog: Catalog) -> PricedCart:
    """Price `cart` with what `catalog` holds; see the module docstring for the rules."""
    lines = [_base_line(line, cart, catalog) for line in cart.lines if line.quantity > 0]
    subtotal = sum((line.base for line in lines), ZERO)
    coupon_promotions, applied_codes, rejected = _check_coupons(cart, catalog, subtotal)
    # Which lines each promotion may touch does not change while promotions are applied: work it out once.
    eligible: dict[int, list[int]] = {}
    candidates = []
    for promotion in catalog.promotions:
        if _may_apply(promotion, cart, coupon_promotions):
            eligible[promotion.id] = [i for i, line in enumerate(lines) if _eligible(promotion, line)]
            if eligible[promotion.id] or promotion.kind == FREE_SHIPPING:
                candidates.append(promotion)
    stackable = [p for p in candidates if not p.is_exclusive]
    outcomes = [_apply(stackable, lines, eligible, cart, coupon_promotions)]
    for exclusive in sorted((p for p in candidates if p.is_exclusive), key=lambda p: (-p.priority, p.id)):
        outcomes.append(_apply([exclusive], lines, eligible, cart, coupon_promotions))
    best = outcomes[0]
    for outcome in outcomes[1:]:
        if outcome.discount > best.discount:
            best = outcome
    explanations = []
    candidate_ids = {p.id for p in candidates}
    for code, promotion_id in coupon_promotions.items():
        if promotion_id in best.applied:
            continue
        promotion = next(p for p in catalog.promotions if p.id == promotion_id)
        if promotion_id not in candidate_ids or not _gave_something(promotion, outcomes):
            reason = _why_nothing(promotion)
        else:
            reason = _why_not_combined(best, candidates)
        applied_codes.remove(code)
        rejected.append((code, reason))
    for promotion in candidates:
        skipped = promotion.id not in best.applied and promotion.id not in coupon_promotions.values()
        if skipped and _gave_something(promotion, outcomes):
            explanations.append(f"{promotion.name}: {_why_not_combined(best, candidates)}.")
    return _result(best, cart, catalog, applied_codes, rejected, explanations)


def _why_nothing(promotion: PromotionInfo) -> str:
    if promotion.kind in (SPEND_THRESHOLD, FREE_SHIPPING) and promotion.min_subtotal:
        return f"the items must come to {promotion.min_subtotal:.2f} or more"
    if promotion.kind == BUY_X_GET_Y:
        return f"buy {promotion.buy_quantity + promotion.get_quantity} qualifying items to get the offer"
    if promotion.kind == FREE_SHIPPING:
        return "there is no shipping charge to take off"
    return "no item in the cart qualifies"


def _why_not_combined(best: _Outcome, candidates: list[PromotionInfo]) -> str:
    winner = next((p.name for p in candidates if p.id in best.applied and p.is_exclusive), "")
    if winner:
        return f"not combined: the exclusive promotion '{winner}' gives more"
    return "exclusive, and the other promotions together give more"


def _gave_something(promotion: PromotionInfo, outcomes: list[_Outcome]) -> bool:
    return any(promotion.id in outcome.applied for outcome in outcomes)


def _base_line(line: CartLine, cart: Cart, catalog: Catalog) -> _Line:
    product = catalog.products[line.product_id]
    unit_price, source, on_sale = product.list_price, "list price", False
    for price in catalog.list_prices.get(product.id, ()):
        if (
            line.quantity >= price.min_quantity
            and (not price.channel or price.channel == cart.channel)
            and (price.tier_id is None or price.tier_id == cart.tier_id)
            and (price.valid_from is None or price.valid_from <= cart.at)
            and (price.valid_until is None or cart.at < price.valid_until)
            and price.unit_price < unit_price
        ):
            unit_price, on_sale = price.unit_price, price.is_sale
            source = price.list_name + (f" (from {price.min_quantity})" if price.min_quantity > 1 else "")
    base = quantize(unit_price * line.quantity)
    floor = quantize(margin_floor_price(product, catalog) * line.quantity)
    return _Line(product, line.quantity, unit_price, source, on_sale, base, floor, remaining=base)


def margin_floor_price(product: ProductInfo, catalog: Catalog) -> Decimal:
    """The lowest unit price promotions may reach: cost x floor, plus tax where prices include it
    (the floor is about what the shop keeps, which is the price net of tax)."""
    floor = product.cost_price * catalog.margin_floor
    return floor * (1 + product.tax_rate) if catalog.prices_include_tax else floor


def _check_coupons(cart: Cart, catalog: Catalog, subtotal: Decimal):
    """Accepted coupons as {code: promotion id}, their codes, and (code, reason) for each refused one."""
    accepted: dict[str, int] = {}
    rejected: list[tuple[str, str]] = []
    promotions = {p.id: p for p in catalog.promotions}
    seen = set()
    for typed in cart.coupon_codes:
        code = typed.strip().upper()
        if not code:
            continue
        if code in seen:
            rejected.append((typed, "entered twice"))
            continue
        seen.add(code)
        coupon = catalog.coupons.get(code)
        reason = _coupon_problem(coupon, promotions, cart, subtotal)
        if reason is None and coupon.promotion_id in accepted.values():
            reason = "another code for the same promotion is already applied"
        if reason:
            rejected.append((typed, reason))
        else:
            accepted[typed] = coupon.promotion_id
    return accepted, list(accepted), rejected


def _coupon_problem(coupon: CouponInfo | None, promotions, cart: Cart, subtotal: Decimal) -> str | None:
    if coupon is None:
        return "unknown code"
    promotion = promotions.get(coupon.promotion_id)
    if not coupon.is_active or promotion is None:
        return "this code is no longer valid"
    if (coupon.valid_from and cart.at < coupon.valid_from) or (promotion.starts_at and cart.at < promotion.starts_at):
        return "not valid yet"
    if (coupon.valid_until and cart.at >= coupon.valid_until) or (promotion.ends_at and cart.at >= promotion.ends_at):
        return "expired"
    if coupon.customer_id is not None and coupon.customer_id != cart.customer_id:
        return "not for this customer"
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        return "used up"
    if coupon.per_customer_limit is not None:
        if cart.customer_id is None:
            return "limited per customer: choose the customer first"
        if coupon.customer_uses >= coupon.per_customer_limit:
            return "already used by this customer"
    if subtotal < coupon.min_spend:
        return f"minimum spend {coupon.min_spend:.2f} not met"
    return None


def _may_apply(promotion: PromotionInfo, cart: Cart, coupon_promotions: dict) -> bool:
    if not promotion.running(cart.at):
        return False
    if promotion.channels and cart.channel not in promotion.channels:
        return False
    if promotion.requires_coupon and promotion.id not in coupon_promotions.values():
        return False
    if promotion.tier_id is not None and promotion.tier_id != cart.tier_id:
        return False
    if promotion.kind == TIER_DISCOUNT and promotion.tier_id is None:
        return False
    return promotion.kind != FREE_SHIPPING or cart.shipping_price > 0


def _eligible(promotion: PromotionInfo, line: _Line) -> bool:
    return promotion.targets(line.product) and not (promotion.exclude_sale_items and line.is_on_sale)


def _apply(promotions, base_lines, eligible, cart: Cart, coupon_promotions) -> _Outcome:
    lines = [line.fresh() for line in base_lines]
    outcome = _Outcome(lines, [], None, set())
    code_of = {promotion_id: code for code, promotion_id in coupon_promotions.items()}
    ordered = sorted(promotions, key=lambda p: (-p.priority, p.id))
    for promotion in ordered:
        if promotion.kind in ITEM_KINDS:
            targets = [lines[i] for i in eligible[promotion.id]]
            _apply_item_promotion(promotion, targets, outcome, code_of.get(promotion.id, ""))
    item_subtotal = sum((line.remaining for line in lines), ZERO)
    for promotion in ordered:
        if promotion.kind in ORDER_KINDS:
            targets = [lines[i] for i in eligible[promotion.id]]
            _apply_order_promotion(promotion, targets, outcome, item_subtotal, code_of.get(promotion.id, ""))
    for promotion in ordered:
        if promotion.kind == FREE_SHIPPING and outcome.shipping is None:
            spent = sum((line.remaining for line in lines), ZERO)
            if spent >= promotion.min_subtotal:
                outcome.shipping = Adjustment(
                    promotion.id,
                    promotion.name,
                    promotion.kind,
                    quantize(cart.shipping_price),
                    _describe(promotion) + f": shipping {cart.shipping_price:.2f} waived",
                    code_of.get(promotion.id, ""),
                )
                outcome.applied.add(promotion.id)
    return outcome


def _apply_item_promotion(promotion: PromotionInfo, eligible: list[_Line], outcome: _Outcome, code: str) -> None:
    if promotion.kind == BUY_X_GET_Y:
        wanted = _buy_x_get_y(promotion, eligible)
    elif promotion.kind == LINE_FIXED:
        wanted = {id(line): quantize(promotion.value * line.quantity) for line in eligible}
    else:  # percentage off: LINE_PERCENT and TIER_DISCOUNT
        wanted = {id(line): quantize(line.remaining * promotion.value / HUNDRED) for line in eligible}
    for line in eligible:
        amount = min(wanted.get(id(line), ZERO), line.remaining)
        if amount <= 0:
            continue
        granted = min(amount, line.headroom)
        capped = granted < amount
        if granted <= 0 and not capped:
            continue
        description = _describe(promotion)
        if capped:
            description += f" (reduced from {amount:.2f} to {granted:.2f}: margin floor)"
        line.remaining -= granted
        line.adjustments.append(
            Adjustment(promotion.id, promotion.name, promotion.kind, granted, description, code, capped)
        )
        outcome.applied.add(promotion.id)


def _buy_x_get_y(promotion: PromotionInfo, lines: list[_Line]) -> dict[int, Decimal]:
    """Of every (X + Y) matching units the cheapest Y are discounted: amounts per line (by id)."""
    group = promotion.buy_quantity + promotion.get_quantity
    if promotion.get_quantity <= 0 or group <= 0:
        return {}
    units = sum(line.quantity for line in lines)
    discounted = (units // group) * promotion.get_quantity
    amounts: dict[int, Decimal] = {}
    for line in sorted(lines, key=lambda line: (line.unit_price, line.product.id)):
        if discounted <= 0:
            break
        take = min(discounted, line.quantity)
        discounted -= take
        amounts[id(line)] = quantize(line.unit_price * take * promotion.get_discount_percent / HUNDRED)
    return amounts


def _apply_order_promotion(promotion, lines: list[_Line], outcome: _Outcome, item_subtotal: Decimal, code: str):
    eligible = [line for line in lines if _eligible(promotion, line)]
    base = sum((line.remaining for line in eligible), ZERO)
    if base <= 0:
        return
    if promotion.kind == SPEND_THRESHOLD:
        if item_subtotal < promotion.min_subtotal:
            return
        amount = quantize(base * promotion.value / HUNDRED)
    elif promotion.kind == ORDER_PERCENT:
        amount = quantize(base * promotion.value / HUNDRED)
    else:
        amount = min(quantize(promotion.value), base)
    if amount <= 0:
        return
    shares = _allocate(amount, eligible)
    granted = sum(shares, ZERO)
    description = _describe(promotion)
    if granted < amount:
        description += f" (reduced from {amount:.2f} to {granted:.2f}: margin floor)"
    if granted <= 0:
        outcome.order_adjustments.append(
            Adjustment(promotion.id, promotion.name, promotion.kind, ZERO, description, code, True)
        )
        return
    for line, share in zip(eligible, shares, strict=True):
        line.remaining -= share
        line.order_discount += share
    outcome.order_adjustments.append(
        Adjustment(promotion.id, promotion.name, promotion.kind, granted, description, code, granted < amount)
    )
    outcome.applied.add(promotion.id)


def _allocate(amount: Decimal, lines: list[_Line]) -> list[Decimal]:
    """Split `amount` over the lines in proportion to what is left of each, to the cent (largest
    remainder), never past a line's margin-floor headroom; what no line can take is not granted."""
    shares = [ZERO] * len(lines)
    left = amount
    open_lines = [i for i, line in enumerate(lines) if line.headroom > 0]
    while left > 0 and open_lines:
        weights = [lines[i].remaining - shares[i] for i in open_lines]
        total_weight = sum(weights, ZERO)
        if total_weight <= 0:
            break
        cents = int(left / CENT)
        exact = [Decimal(cents) * weight / total_weight for weight in weights]
        whole = [int(value) for value in exact]
        for rank in sorted(range(len(exact)), key=lambda k: (-(exact[k] - whole[k]), open_lines[k]))[
            : cents - sum(whole)
        ]:
            whole[rank] += 1
        still_open = []
        for k, index in enumerate(open_lines):
            room = lines[index].headroom - shares[index]
            give = min(Decimal(whole[k]) * CENT, room)
            shares[index] += give
            left -= give
            if room - give > 0:
                still_open.append(index)
        if still_open == open_lines:
            break
        open_lines = still_open
    return shares


def _describe(promotion: PromotionInfo) -> str:
    value = promotion.value.normalize()
    match promotion.kind:
        case "line_percent" | "order_percent":
            what = f"{value:f}% off"
        case "tier_discount":
            what = f"{value:f}% club discount" + (", sale items excluded" if promotion.exclude_sale_items else "")
        case "line_fixed":
            what = f"{promotion.value:.2f} off each item"
        case "order_fixed":
            what = f"{promotion.value:.2f} off the order"
        case "spend_threshold":
            what = f"{value:f}% off for spending {promotion.min_subtotal:.2f} or more"
        case "buy_x_get_y":
            percent = promotion.get_discount_percent.normalize()
            deal = "free" if promotion.get_discount_percent == HUNDRED else f"{percent:f}% off"
            what = f"buy {promotion.buy_quantity} get {promotion.get_quantity} {deal} (cheapest)"
        case "free_shipping":
            what = "free shipping" + (f" from {promotion.min_subtotal:.2f}" if promotion.min_subtotal else "")
        case _:
            what = promotion.kind
    return f"{promotion.name}: {what}"


def _tax(amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    if not rate:
        return ZERO
    return quantize(amount * rate / (1 + rate)) if included else quantize(amount * rate)


def _result(outcome: _Outcome, cart, catalog: Catalog, applied_codes, rejected, explanations) -> PricedCart:
    included = catalog.prices_include_tax
    priced_lines = []
    breakdown: dict[Decimal, list[Decimal]] = {}
    for line in outcome.lines:
        tax = _tax(line.remaining, line.product.tax_rate, included)
        rate_total = breakdown.setdefault(line.product.tax_rate, [ZERO, ZERO])
        rate_total[0] += line.remaining
        rate_total[1] += tax
        item_discount = sum((a.amount for a in line.adjustments), ZERO)
        priced_lines.append(
            PricedLine(
                product_id=line.product.id,
                sku=line.product.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                price_source=line.price_source,
                is_on_sale=line.is_on_sale,
                base_total=line.base,
                adjustments=tuple(line.adjustments),
                order_discount=line.order_discount,
                discount=item_discount + line.order_discount,
                total=line.remaining,
                tax_rate=line.product.tax_rate,
                tax=tax,
            )
        )
        for adjustment in line.adjustments:
            explanations.append(f"{line.product.sku}: {adjustment.description}: -{adjustment.amount:.2f}")
    for adjustment in outcome.order_adjustments:
        explanations.append(f"Order: {adjustment.description}: -{adjustment.amount:.2f}")
    base_shipping = quantize(cart.shipping_price)
    shipping_discount = outcome.shipping.amount if outcome.shipping else ZERO
    if outcome.shipping:
        explanations.append(outcome.shipping.description)
    shipping_price = base_shipping - shipping_discount
    shipping_tax = _tax(shipping_price, catalog.shipping_tax_rate, included)
    if shipping_price and catalog.shipping_tax_rate:
        rate_total = breakdown.setdefault(catalog.shipping_tax_rate, [ZERO, ZERO])
        rate_total[0] += shipping_price
        rate_total[1] += shipping_tax
    for code, reason in rejected:
        explanations.append(f"Coupon {code} not applied: {reason}.")
    lines_total = sum((line.total for line in priced_lines), ZERO)
    tax_total = sum((line.tax for line in priced_lines), ZERO) + shipping_tax
    subtotal = sum((line.base_total for line in priced_lines), ZERO)
    return PricedCart(
        currency=catalog.currency,
        prices_include_tax=included,
        lines=tuple(priced_lines),
        order_adjustments=tuple(outcome.order_adjustments),
        shipping=ShippingCharge(
            cart.shipping_method,
            base_shipping,
            shipping_discount,
            shipping_price,
            catalog.shipping_tax_rate,
            shipping_tax,
            outcome.shipping,
        ),
        subtotal=subtotal,
        discount_total=subtotal - lines_total + shipping_discount,
        lines_total=lines_total,
        tax_total=tax_total,
        tax_breakdown=tuple((rate, amount, tax) for rate, (amount, tax) in sorted(breakdown.items())),
        total=lines_total + shipping_price + (ZERO if included else tax_total),
        applied_coupons=tuple(applied_codes),
        rejected_coupons=tuple(rejected),
        explanations=tuple(explanations),
    )
