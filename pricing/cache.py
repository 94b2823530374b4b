"""The slow-changing reference data of pricing, cached in each process and checked on every use.

Every priced cart needs the pricing policy, the tax rates and the running promotions (with the
products and categories they target), and they change a few times a day. Each process keeps the last
set it loaded with the `CatalogVersion` it was loaded at. A reader passes the version it has just read
from the database (`pricing.selectors.catalog_products()` reads it in the query that loads the cart's
products, so the check costs no statement of its own) and gets the cached set only if the versions are
equal; otherwise the set is loaded again (five queries) and replaces the cached one.

Why this is correct with many processes on many machines against one database: triggers bump the
version in the transaction and statement that change a cached table (pricing/migrations/
0003_catalog_version.py), whoever makes the change (services, the admin, a shell, SQL). So a reader
that can see a change also sees its new version, which no cached set carries yet; and since the
version is read before the data is loaded, the data cached under a version is never older than that
version. Versions come from a sequence, so one seen inside a transaction that is rolled back is never
issued again with other data. Nothing is cached for a time: a change is seen by the next cart priced
in any process, exactly when the database shows it.

Promotions are cached whatever their dates (active ones that had not ended a day before loading) and
filtered by the cart's moment on use; a cart dated before that (a back-dated order) is priced from a
fresh load.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import BigIntegerField, Q
from django.db.models.expressions import RawSQL

from pricing.engine import PromotionInfo
from pricing.models import CatalogVersion, PricingPolicy, Promotion, TaxRate

# Promotions that ended this long before the set was loaded are left out of it.
ENDED_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Reference:
    currency: str
    prices_include_tax: bool
    margin_floor: Decimal
    shipping_tax_class_id: int | None
    # Per tax class: (valid from, rate), newest first.
    tax_rates: dict[int, tuple[tuple[date, Decimal], ...]]
    # Active promotions that had not ended by `since`, highest priority first.
    promotions: tuple[PromotionInfo, ...]
    since: datetime

    def rates_on(self, day: date) -> dict[int, Decimal]:
        """The rate of each tax class in force on `day`."""
        rates = {}
        for tax_class_id, history in self.tax_rates.items():
            rate = next((rate for valid_from, rate in history if valid_from <= day), None)
            if rate is not None:
                rates[tax_class_id] = rate
        return rates

    def running_promotions(self, at: datetime) -> tuple[PromotionInfo, ...]:
        return tuple(promotion for promotion in self.promotions if promotion.running(at))


@dataclass(frozen=True)
class _Entry:
    version: int
    reference: Reference


_entries: dict[tuple, _Entry] = {}


def version_expression() -> RawSQL:
    """The current catalog version as an expression, to read it inside another query."""
    return RawSQL(f"(SELECT value FROM {CatalogVersion._meta.db_table} WHERE id = 1)", [], BigIntegerField())


def current_version() -> int | None:
    """The current catalog version, for readers that have no query to read it in."""
    return CatalogVersion.objects.filter(pk=1).values_list("value", flat=True).first()


def reference(*, version: int | None, at: datetime) -> Reference:
    """The reference data as of `version` (read from the database by the caller just now), for a cart
    priced at `at`. None (the version row is missing, e.g. just after a flush) is never cached."""
    key = _database()
    entry = _entries.get(key)
    if version is not None and entry is not None and entry.version == version and entry.reference.since <= at:
        return entry.reference
    loaded = _load(since=at - ENDED_MARGIN)
    if version is not None:
        # Threads of one process may race here; whichever entry stays is correct for its version.
        _entries[key] = _Entry(version, loaded)
    return loaded


def clear() -> None:
    """Forget what this process cached (never needed for correctness)."""
    _entries.clear()


def _database() -> tuple:
    settings = connection.settings_dict
    return (connection.alias, settings["HOST"], settings["PORT"], settings["NAME"])


def _load(*, since: datetime) -> Reference:
    policy = PricingPolicy.current()
    history: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for tax_class_id, valid_from, rate in TaxRate.objects.order_by("tax_class_id", "-valid_from").values_list(
        "tax_class_id", "valid_from", "rate"
    ):
        history[tax_class_id].append((valid_from, rate))
    return Reference(
        currency=policy.currency,
        prices_include_tax=policy.prices_include_tax,
        margin_floor=policy.margin_floor,
        shipping_tax_class_id=policy.shipping_tax_class_id,
        tax_rates={tax_class_id: tuple(rates) for tax_class_id, rates in history.items()},
        promotions=_promotions(since),
        since=since,
    )


def _promotions(since: datetime) -> tuple[PromotionInfo, ...]:
    promotions = list(Promotion.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=since), is_active=True))
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
    return tuple(
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
    )
