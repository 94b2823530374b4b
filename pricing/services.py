"""Writes of pricing: coupon redemptions and batches, competitor prices, accepted repricing."""

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from backoffice.money import UNIT_PRICE_STEP, quantize
from inventory import services as inventory_services
from pricing.exceptions import CouponUnavailable, PricingError
from pricing.models import (
    CompetitorPrice,
    Coupon,
    CouponBatch,
    CouponRedemption,
    PriceList,
    PriceListItem,
    Promotion,
)

# No 0/O, 1/I/L: codes are read aloud on the phone and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@transaction.atomic
def coupon_redeem(
    *, codes: Iterable[str], customer_id: int | None, source_type: str, source_id: str
) -> list[CouponRedemption]:
    """Record the use of each code by an order, inside the order's transaction.

    Locks the coupons (in primary-key order) so concurrent orders cannot pass a usage limit; a code
    already redeemed by the same order is not counted again. Raises CouponUnavailable.
    """
    wanted = {code.strip().upper(): code for code in codes if code and code.strip()}
    if not wanted:
        return []
    match = Q()
    for code in wanted:
        match |= Q(code__iexact=code)
    coupons = {c.code.upper(): c for c in Coupon.objects.select_for_update().filter(match).order_by("pk")}
    redemptions = []
    for upper, typed in wanted.items():
        coupon = coupons.get(upper)
        if coupon is None:
            raise CouponUnavailable(typed, "unknown code")
        active = CouponRedemption.objects.filter(coupon=coupon, released_at__isnull=True)
        existing = active.filter(source_type=source_type, source_id=str(source_id)).first()
        if existing:
            redemptions.append(existing)
            continue
        if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
            raise CouponUnavailable(typed, "used up")
        if coupon.per_customer_limit is not None:
            if customer_id is None:
                raise CouponUnavailable(typed, "limited per customer: choose the customer first")
            if active.filter(customer_id=customer_id).count() >= coupon.per_customer_limit:
                raise CouponUnavailable(typed, "already used by this customer")
        redemptions.append(
            CouponRedemption.objects.create(
                coupon=coupon, customer_id=customer_id, source_type=source_type, source_id=str(source_id)
            )
        )
        Coupon.objects.filter(pk=coupon.pk).update(times_used=F("times_used") + 1)
    return redemptions


@transaction.atomic
def coupon_release(*, source_type: str, source_id: str, codes: Iterable[str] | None = None) -> int:
    """Give back the coupon uses of a cancelled order (or, with `codes`, of the codes an edited order
    no longer uses); returns how many were released."""
    redemptions = CouponRedemption.objects.select_for_update(of=("self",)).filter(
        source_type=source_type, source_id=str(source_id), released_at__isnull=True
    )
    if codes is not None:
        wanted = Q()
        for code in codes:
            wanted |= Q(coupon__code__iexact=code.strip())
        if not wanted:
            return 0
        redemptions = redemptions.filter(wanted)
    redemptions = list(redemptions.order_by("coupon_id"))
    if not redemptions:
        return 0
    # Lock order: coupons before redemptions would be the rule if both were taken; the redemption rows
    # are only reachable through this order, so taking them first cannot cross another transaction.
    for redemption in redemptions:
        Coupon.objects.filter(pk=redemption.coupon_id).update(times_used=F("times_used") - 1)
    CouponRedemption.objects.filter(pk__in=[r.pk for r in redemptions]).update(released_at=timezone.now())
    return len(redemptions)


@transaction.atomic
def coupon_batch_create(
    *,
    promotion_id: int,
    prefix: str,
    size: int,
    length: int = 8,
    usage_limit: int | None = 1,
    per_customer_limit: int | None = None,
    min_spend: Decimal = Decimal(0),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> CouponBatch:
    """Generate `size` unique random codes (PREFIX-XXXXXXXX) for a promotion."""
    prefix = prefix.strip().upper()
    if not 1 <= size <= 100_000:
        raise PricingError("A batch holds between 1 and 100,000 codes.")
    if not prefix.isalnum():
        raise PricingError("The prefix may hold letters and digits only.")
    promotion = Promotion.objects.get(pk=promotion_id)
    batch = CouponBatch.objects.create(promotion=promotion, prefix=prefix, size=size)
    made = 0
    while made < size:
        codes = {
            f"{prefix}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(length))}" for _ in range(size - made)
        }
        Coupon.objects.bulk_create(
            [
                Coupon(
                    code=code,
                    promotion=promotion,
                    batch=batch,
                    usage_limit=usage_limit,
                    per_customer_limit=per_customer_limit,
                    min_spend=min_spend,
                    valid_from=valid_from,
                    valid_until=valid_until,
                )
                for code in codes
            ],
            ignore_conflicts=True,
        )
        # ignore_conflicts skips codes that exist already (a one-in-a-billion clash) without saying
        # which: count what the batch holds and draw again for the rest.
        made = Coupon.objects.filter(batch=batch).count()
    return batch


def competitor_price_record(
    *,
    product_id: int,
    competitor: str,
    price: Decimal,
    observed_at: datetime | None = None,
    url: str = "",
    actor=None,
) -> CompetitorPrice:
    if price < 0:
        raise PricingError("A competitor's price cannot be negative.")
    if not competitor.strip():
        raise PricingError("Name the competitor.")
    return CompetitorPrice.objects.create(
        product_id=product_id,
        competitor=competitor.strip(),
        price=quantize(price),
        observed_at=observed_at or timezone.now(),
        url=url,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )


@dataclass(frozen=True)
class RepriceRule:
    """Beat the lowest competitor by an amount or a percentage (one of the two)."""

    beat_by_amount: Decimal = Decimal(0)
    beat_by_percent: Decimal = Decimal(0)


def reprice_accept(*, suggestions: dict[int, Decimal]) -> int:
    """Make accepted suggestions the new list prices (through inventory, which owns products)."""
    return inventory_services.product_set_list_prices(prices={pid: quantize(p) for pid, p in suggestions.items()})


# --- staff UI and admin: promotions, coupons, price lists ----------------------------------------

# Promotion's own fields a caller may set (its targets go in product_ids and category_ids).
PROMOTION_FIELDS = frozenset(
    {
        "name",
        "kind",
        "value",
        "starts_at",
        "ends_at",
        "priority",
        "is_exclusive",
        "requires_coupon",
        "channels",
        "min_subtotal",
        "buy_quantity",
        "get_quantity",
        "get_discount_percent",
        "tier_id",
        "exclude_sale_items",
    }
)


@transaction.atomic
def promotion_create(*, product_ids: Iterable[int] = (), category_ids: Iterable[int] = (), **fields) -> Promotion:
    """Create an active promotion aimed at these products and categories (none: every item).

    `fields` are PROMOTION_FIELDS. Raises PricingError when they break the model's rules.
    """
    promotion = Promotion(**_promotion_fields(fields))
    _promotion_save(promotion, product_ids, category_ids)
    return promotion


@transaction.atomic
def promotion_update(
    *, promotion_id: int, product_ids: Iterable[int] = (), category_ids: Iterable[int] = (), **fields
) -> Promotion:
    """Replace a promotion's terms and targets. Raises PricingError as promotion_create does."""
    promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
    for name, value in _promotion_fields(fields).items():
        setattr(promotion, name, value)
    _promotion_save(promotion, product_ids, category_ids)
    return promotion


def _promotion_fields(fields: dict) -> dict:
    unknown = set(fields) - PROMOTION_FIELDS
    if unknown:
        raise TypeError(f"Not promotion fields: {', '.join(sorted(unknown))}")
    return fields


def _promotion_save(promotion: Promotion, product_ids: Iterable[int], category_ids: Iterable[int]) -> None:
    try:
        promotion.full_clean()
    except ValidationError as error:
        raise PricingError(" ".join(error.messages)) from error
    promotion.save()
    promotion.products.set(list(product_ids))
    promotion.categories.set(list(category_ids))


def promotion_set_active(*, promotion_id: int, is_active: bool) -> Promotion:
    """Stop a promotion (or start it again) without touching its dates, so its history stays readable."""
    promotion = Promotion.objects.get(pk=promotion_id)
    if promotion.is_active != is_active:
        promotion.is_active = is_active
        promotion.save(update_fields=["is_active"])
    return promotion


# Codes are typed in lists separated by spaces or commas (and read on the phone): letters, digits, - and _.
COUPON_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def coupon_create(
    *,
    promotion_id: int,
    code: str,
    usage_limit: int | None = None,
    per_customer_limit: int | None = None,
    min_spend: Decimal = Decimal(0),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    customer_id: int | None = None,
) -> Coupon:
    """One coupon code for a promotion.

    Raises PricingError for a malformed code, a code that exists already (in any case) or dates out of order.
    """
    code = code.strip()
    if not COUPON_CODE_PATTERN.fullmatch(code):
        raise PricingError("A code is 1 to 40 letters, digits, - or _, starting with a letter or digit.")
    if valid_from and valid_until and valid_until <= valid_from:
        raise PricingError("The code must stop being valid after it starts.")
    if min_spend < 0:
        raise PricingError("The minimum spend cannot be negative.")
    try:
        # A savepoint: the unique index on upper(code) settles a race between two people typing the
        # same code, and the caller's transaction (if any) stays usable.
        with transaction.atomic():
            return Coupon.objects.create(
                promotion_id=promotion_id,
                code=code,
                usage_limit=usage_limit,
                per_customer_limit=per_customer_limit,
                min_spend=quantize(min_spend),
                valid_from=valid_from,
                valid_until=valid_until,
                customer_id=customer_id,
            )
    except IntegrityError as error:
        raise PricingError(f"The code {code} exists already.") from error


@dataclass(frozen=True)
class PriceListRow:
    product_id: int
    min_quantity: int
    unit_price: Decimal


# PriceList's own fields a caller may set; the items go in `items`.
PRICE_LIST_FIELDS = frozenset({"name", "channel", "tier_id", "is_sale", "valid_from", "valid_until", "is_active"})


@transaction.atomic
def price_list_create(*, items: Sequence[PriceListRow], **fields) -> PriceList:
    """Create a price list with its items, all or nothing. Raises PricingError (see _price_list_save)."""
    price_list = PriceList()
    _price_list_save(price_list, fields, items)
    return price_list


@transaction.atomic
def price_list_update(*, price_list_id: int, items: Sequence[PriceListRow], **fields) -> PriceList:
    """Replace a price list's settings and all its items, all or nothing. Raises PricingError."""
    price_list = PriceList.objects.select_for_update().get(pk=price_list_id)
    _price_list_save(price_list, fields, items)
    return price_list


def _price_list_save(price_list: PriceList, fields: dict, items: Sequence[PriceListRow]) -> None:
    """Raises PricingError for a negative price, a quantity below 1, a product listed twice from the
    same quantity, or dates out of order; nothing is saved then."""
    unknown = set(fields) - PRICE_LIST_FIELDS
    if unknown:
        raise TypeError(f"Not price list fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(price_list, name, value)
    if price_list.valid_from and price_list.valid_until and price_list.valid_until <= price_list.valid_from:
        raise PricingError("The list must end after it starts.")
    seen = set()
    for row in items:
        if row.unit_price < 0:
            raise PricingError("A unit price cannot be negative.")
        if row.min_quantity < 1:
            raise PricingError("A minimum quantity is 1 or more.")
        if (row.product_id, row.min_quantity) in seen:
            raise PricingError("A product is listed twice from the same quantity.")
        seen.add((row.product_id, row.min_quantity))
    price_list.save()
    # Items carry no history and nothing points at them (orders keep the price and its source as
    # text), so replacing them wholesale is the simplest correct edit.
    price_list.items.all().delete()
    PriceListItem.objects.bulk_create(
        PriceListItem(
            price_list=price_list,
            product_id=row.product_id,
            min_quantity=row.min_quantity,
            unit_price=quantize(row.unit_price, UNIT_PRICE_STEP),
        )
        for row in items
    )
