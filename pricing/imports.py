"""CSV import of competitor prices: every row checked first, then all written or none."""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from inventory.imports.csvfile import (
    CellError,
    Column,
    Errors,
    database_upper,
    decimal_value,
    read_rows,
    refuse,
    text_value,
)
from inventory.models import Product
from pricing.models import CompetitorPrice

COMPETITOR_PRICE_COLUMNS = (
    Column("sku", True, "Our product's SKU (compared without regard to case)."),
    Column("competitor", True, "The competitor's name, up to 100 characters."),
    Column("price", True, "Their price, e.g. 24.99 (a dot before the pence)."),
    Column("observed_at", False, "When it was seen: 2026-11-20 or 2026-11-20T14:30; empty: now."),
    Column("url", False, "Where it was seen."),
)
COMPETITOR_PRICE_EXAMPLE_ROWS = (
    ("DRK-0001", "HomeHub", "11.49", "2026-11-20", "https://homehub.example/mug"),
    ("DRK-0001", "Kitchen Barn", "12.00", "", ""),
)
MAX_ROWS = 20_000


@dataclass(frozen=True)
class CompetitorPriceRow:
    line: int
    product_id: int
    competitor: str
    price: Decimal
    observed_at: datetime
    url: str


def competitor_prices_check(*, data: bytes) -> list[CompetitorPriceRow]:
    """The rows of a competitor-price file, or ImportRejected naming every bad line, column and reason."""
    errors = Errors()
    rows = read_rows(data, COMPETITOR_PRICE_COLUMNS, errors)
    if len(rows) > MAX_ROWS:
        raise refuse(f"At most {MAX_ROWS:,} rows at a time; split the file.")
    skus = database_upper(row.cells["sku"] for row in rows if row.cells["sku"])
    products = dict(
        Product.objects.annotate(upper_sku=Upper("sku"))
        .filter(upper_sku__in=set(skus.values()))
        .values_list("upper_sku", "pk")
    )
    now = timezone.now()
    checked = []
    for row in rows:
        cells, values = row.cells, {}
        for column, parse in (
            ("sku", lambda text: _product(text, skus, products)),
            ("competitor", lambda text: _required(text_value(text, max_length=100), "the competitor's name")),
            ("price", lambda text: _required_price(text)),
            ("observed_at", lambda text: _observed(text, now)),
            ("url", _url),
        ):
            try:
                values[column] = parse(cells.get(column, ""))
            except CellError as error:
                errors.add(row.line, column, str(error))
        if len(values) == len(COMPETITOR_PRICE_COLUMNS):
            checked.append(
                CompetitorPriceRow(
                    row.line,
                    values["sku"],
                    values["competitor"],
                    values["price"],
                    values["observed_at"],
                    values["url"],
                )
            )
    if errors:
        raise errors.rejected()
    return checked


@transaction.atomic
def competitor_prices_import(*, data: bytes, actor=None) -> int:
    """Check the whole file, then record every price; returns how many were recorded."""
    rows = competitor_prices_check(data=data)
    CompetitorPrice.objects.bulk_create(
        [
            CompetitorPrice(
                product_id=row.product_id,
                competitor=row.competitor,
                price=row.price,
                observed_at=row.observed_at,
                url=row.url,
                recorded_by=actor if getattr(actor, "pk", None) else None,
            )
            for row in rows
        ]
    )
    return len(rows)


def _required(value: str, what: str) -> str:
    if not value:
        raise CellError(f"Give {what}.")
    return value


def _required_price(text: str) -> Decimal:
    _required(text, "the price")
    return decimal_value(text, max_digits=14, decimal_places=2)


def _product(text: str, skus: dict[str, str], products: dict[str, int]) -> int:
    _required(text, "a SKU")
    product_id = products.get(skus.get(text, ""))
    if product_id is None:
        raise CellError(f"No product has the SKU {text!r}.")
    return product_id


def _observed(text: str, now: datetime) -> datetime:
    if not text:
        return now
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CellError(f"{text!r} is not a date like 2026-11-20 or 2026-11-20T14:30.")
        moment = datetime.combine(day, time(12))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now:
        raise CellError("This date is in the future.")
    return moment


def _url(text: str) -> str:
    if not text:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as error:
        raise CellError(f"{text!r} is not a web address (http:// or https://).") from error
    if len(text) > 200:
        raise CellError("The web address is longer than 200 characters.")
    return text
