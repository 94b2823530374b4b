"""`?action=export`: our shipments modified in a window, as ShipStation's Orders XML, a page at a time.

One ShipStation order per shipment that is delivered (not a pick-up): a shipment is what leaves one
warehouse for one address, which is what ShipStation ships. OrderID is the shipment's id; OrderNumber
is the order's number when the order has one such shipment, else "<order number>-<shipment position>".

"Modified" is the later of the shipment's and its order's last change, so a cancellation, a hold or a
payment reaches ShipStation; every status is exported, drafts excepted. Dates are read for the years
MIN_YEAR to MAX_YEAR only (others get 400).

Paging: ShipStation asks for page 1, 2... of one window, one request each, and rows change between
those requests. Two rules keep a shipment from slipping between pages:
- The window ends at the moment of the request when end_date (a whole minute) reaches past it. A
  shipment changed after a poll began is in the next poll's window (ShipStation's windows overlap),
  not somewhere in the pages of this one.
- Pages are in shipment id order, which no change alters. In last-modified order a shipment changed
  between two page requests would move to the end of the window, pulling every later shipment one
  place forward, so the first one of the next page would land on a page already read and be lost.
  In id order it stays where it was. What can still happen: a shipment whose first change in the
  window comes during the paging (an old order cancelled meanwhile) joins the window at its place
  and pushes the later ones one place back, so one may come twice (ShipStation updates an order it
  has by its OrderID) and the last may fall beyond the `pages` an earlier page announced; a joining
  shipment's own change is in the next poll's window.
Each page holds PAGE_SIZE orders, read in a fixed number of queries whatever their size.

Money: OrderTotal, TaxAmount and ShippingAmount are the order's when the shipment is the order's only
one, else the shipment's share of them, which add up to the order's to the cent (amounts.py). Items
are priced after their own promotions; order-level discounts (and any cent left by rounding unit
prices) go in one Adjustment item, so the items, shipping and tax add up to OrderTotal to the cent.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import DecimalField, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from backoffice.money import quantize
from inventory.models import BinStock
from orders.models import Order, OrderLine, Shipment, ShipmentLine
from orders.shipstation.amounts import Totals, shipping_part, totals_of, unit_price
from orders.states import HoldReason, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus

PAGE_SIZE = 100
DATE_FORMAT = "%m/%d/%Y %H:%M"
# The years a start_date or end_date may name: ShipStation asks about recent changes, and years near the
# ends of what datetime holds would overflow (the minute added to end_date, a time zone's offset).
MIN_YEAR, MAX_YEAR = 2000, 2100


class ExportRequestError(ValueError):
    """The export's parameters cannot be read; the message says which and why (answered with 400)."""


# --- the status mapping ---------------------------------------------------------------------------------

UNPAID, PAID, SHIPPED, CANCELLED, ON_HOLD = "unpaid", "paid", "shipped", "cancelled", "on_hold"
# Our OrderStatus values, for ShipStation's connection form (case sensitive there): README, "ShipStation".
STATUS_MAPPING = (
    ("Unpaid Status", UNPAID, "prepaid orders not paid yet"),
    ("Paid Status", PAID, "ready to ship: paid, or on account or cash on delivery"),
    ("Shipped Status", SHIPPED, "the shipment has left"),
    ("Cancelled Status", CANCELLED, "the order or the shipment was cancelled"),
    ("On-Hold Status", ON_HOLD, "the order is on hold, or the shipment still waits for stock"),
)


def shipstation_status(order, shipment, waiting_for_stock: bool) -> str:
    """The OrderStatus exported for a shipment (see STATUS_MAPPING)."""
    if order.status == OrderStatus.CANCELLED or shipment.status == ShipmentStatus.CANCELLED:
        return CANCELLED
    if shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
        return SHIPPED
    unpaid = order.payment_method == PaymentMethod.PREPAID and order.payment_status not in (
        PaymentStatus.PAID,
        PaymentStatus.AUTHORISED,
    )
    if order.status == OrderStatus.ON_HOLD:
        return UNPAID if order.hold_reason == HoldReason.PAYMENT_PENDING and unpaid else ON_HOLD
    if (
        order.status not in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED)
        or shipment.status != ShipmentStatus.READY
    ):
        return UNPAID if unpaid else ON_HOLD
    return ON_HOLD if waiting_for_stock else PAID


# --- the request ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive: the minute after end_date, or the moment of the request if that is earlier
    page: int


def window_read(query, now: datetime | None = None) -> Window:
    """start_date, end_date (UTC, MM/dd/yyyy HH:mm, read tolerantly) and page (1 when missing); the
    window ends at `now` (the moment of the request) at the latest."""
    start = _date(query.get("start_date"), "start_date")
    end = _date(query.get("end_date"), "end_date")
    if start > end:
        raise ExportRequestError("start_date is after end_date.")
    raw_page = (query.get("page") or "1").strip()
    if not raw_page.isascii() or not raw_page.isdigit() or len(raw_page) > 9 or int(raw_page) < 1:
        raise ExportRequestError(f"page must be a whole number from 1, not {_shown(raw_page)}.")
    # end_date names a minute: changes within it are in the window, unless they come after the request
    # began (see the module's docstring, "Paging").
    end = min(end + timedelta(minutes=1), now or timezone.now())
    return Window(start=start, end=end, page=int(raw_page))


_SLASHED = re.compile(
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}))?\s*(?P<ampm>[AaPp][Mm])?)?"
)
_COMPACT = re.compile(r"(?P<m>\d{2})(?P<d>\d{2})(?P<y>\d{4})(?:[ T]*(?P<H>\d{2}):?(?P<M>\d{2}))?")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?")


def _date(raw: str | None, name: str) -> datetime:
    """A UTC date and time as ShipStation sends it: 01/23/2012 17:28 (leading zeros optional, 12-hour
    times with AM/PM too), the compact 01232012 1728, or ISO 8601; years MIN_YEAR to MAX_YEAR."""
    text = (raw or "").strip()
    if not text:
        raise ExportRequestError(f"{name} is missing: send it as MM/dd/yyyy HH:mm (UTC).")
    value = _parsed(text)
    if value is None:
        raise ExportRequestError(f"{name} {_shown(text)} is not a date: send it as MM/dd/yyyy HH:mm (UTC).")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ExportRequestError(
            f"{name} {_shown(text)} is out of range: send a date in the years {MIN_YEAR} to {MAX_YEAR}."
        )
    # Within those years a conversion to UTC cannot overflow.
    return value.astimezone(UTC)


def _parsed(text: str) -> datetime | None:
    """The date and time `text` names (aware; UTC unless ISO 8601 says otherwise), or None."""
    try:
        match = _SLASHED.fullmatch(text) or _COMPACT.fullmatch(text)
        if match:
            hour, minute = int(match["H"] or 0), int(match["M"] or 0)
            second = int(match.groupdict().get("S") or 0)
            ampm = (match.groupdict().get("ampm") or "").upper()
            if ampm and not 1 <= hour <= 12:
                return None
            if ampm:
                hour = hour % 12 + (12 if ampm == "PM" else 0)
            return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, second, tzinfo=UTC)
        if _ISO.fullmatch(text):
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    except (ValueError, OverflowError):
        pass
    return None


def _shown(text: str) -> str:
    cleaned = "".join(ch for ch in text if ch.isprintable())[:40]
    return repr(cleaned)


# --- reading a page ------------------------------------------------------------------------------------


@dataclass
class ExportPage:
    pages: int
    page: int
    shipments: list[Shipment]
    locations: dict[tuple[int, int], str]  # (product id, warehouse id) -> first bin in pick sequence


def export_page(window: Window) -> ExportPage:
    """The shipments of the window's page, with their orders, lines and what their shares of the
    order's amounts need, in six queries."""
    shipments = (
        Shipment.objects.filter(is_pickup=False)
        .exclude(order__status=OrderStatus.DRAFT)
        # Changed since the window's start, shipment or order: two index range scans (order_updated,
        # shipment_updated) rather than a scan of every shipment; then the window's exact bounds.
        .filter(
            Q(updated_at__gte=window.start)
            | Q(order_id__in=Order.objects.filter(updated_at__gte=window.start).values("pk"))
        )
        .annotate(last_modified=Greatest("updated_at", "order__updated_at"))
        .filter(last_modified__gte=window.start, last_modified__lt=window.end)
    )
    total = shipments.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    money = DecimalField(max_digits=14, decimal_places=2)
    page = list(
        shipments.select_related("order", "warehouse")
        .annotate(
            line_tax=Subquery(
                OrderLine.objects.filter(order=OuterRef("order_id"))
                .order_by()
                .values("order_id")
                .annotate(n=Sum("tax_amount"))
                .values("n"),
                output_field=money,
            ),
        )
        # The id, not the last change: see "Paging" in the module's docstring.
        .order_by("pk")[(window.page - 1) * PAGE_SIZE : window.page * PAGE_SIZE]
    )
    _add_shipping_parts(page)
    lines = (
        ShipmentLine.objects.filter(shipment__in=page)
        .select_related("order_line__product")
        .annotate(
            # The units of the order line in shipment lines before this one (by id), shipped or not,
            # pick-ups included: where this line's running share starts.
            units_before=Coalesce(
                Subquery(
                    ShipmentLine.objects.filter(order_line=OuterRef("order_line_id"), pk__lt=OuterRef("pk"))
                    .order_by()
                    .values("order_line_id")
                    .annotate(n=Sum("quantity"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .order_by("pk")
    )
    by_shipment: dict[int, list[ShipmentLine]] = {shipment.pk: [] for shipment in page}
    for line in lines:
        by_shipment[line.shipment_id].append(line)
    for shipment in page:
        shipment.export_lines = by_shipment[shipment.pk]
    return ExportPage(pages=pages, page=window.page, shipments=page, locations=_locations(page))


def _add_shipping_parts(page: list[Shipment]) -> None:
    """Set on each shipment of the page, from every shipment of its order (one query): how many the
    order has (`shipment_count`), how many go to an address (`delivered_count`), and its part of the
    order's shipping (`shipping_part`, see amounts.shipping_part)."""
    rows = (
        Shipment.objects.filter(order_id__in={shipment.order_id for shipment in page})
        .order_by("order_id", "pk")
        .values_list("order_id", "pk", "is_pickup", "shipping_amount")
    )
    of_order: dict[int, list[tuple[int, bool, Decimal]]] = defaultdict(list)
    for order_id, pk, is_pickup, shipping_amount in rows:
        of_order[order_id].append((pk, is_pickup, shipping_amount))
    for shipment in page:
        siblings = of_order[shipment.order_id]
        shipment.shipment_count = len(siblings)
        shipment.delivered_count = sum(1 for _pk, is_pickup, _amount in siblings if not is_pickup)
        shipment.shipping_part = shipping_part(shipment.pk, siblings)


def _locations(shipments: list[Shipment]) -> dict[tuple[int, int], str]:
    """Where a picker finds each product in its shipment's warehouse: the first bin holding it in pick
    sequence (as inventory.selectors.pick_plan walks them), one query for the page."""
    products = {line.order_line.product_id for s in shipments for line in s.export_lines}
    warehouses = {s.warehouse_id for s in shipments}
    if not products:
        return {}
    rows = (
        BinStock.objects.filter(
            product_id__in=products,
            bin__warehouse_id__in=warehouses,
            bin__is_quarantine=False,
            bin__is_active=True,
            on_hand__gt=0,
        )
        .order_by("product_id", "bin__warehouse_id", "bin__pick_sequence", "bin__code")
        .distinct("product_id", "bin__warehouse_id")
        .values_list("product_id", "bin__warehouse_id", "bin__code")
    )
    return {(product_id, warehouse_id): code for product_id, warehouse_id, code in rows}


# --- writing the XML ----------------------------------------------------------------------------------

# Characters XML 1.0 does not allow, even in CDATA.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def cdata(value, limit: int | None = None) -> str:
    """Free text as CDATA: characters XML cannot carry dropped, "]]>" split across two sections."""
    text = _NOT_XML.sub("", str(value or ""))
    if limit is not None:
        text = text[:limit]
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(name: str, content: str) -> str:
    return f"<{name}>{content}</{name}>"


def _date_text(value: datetime | None) -> str:
    return timezone.localtime(value or timezone.now(), UTC).strftime(DATE_FORMAT)


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def render(page: ExportPage) -> str:
    """The page as ShipStation's Orders XML (UTF-8)."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n', f'<Orders pages="{page.pages}" page="{page.page}">\n']
    for shipment in page.shipments:
        parts.append(_order(shipment, page.locations))
    parts.append("</Orders>\n")
    return "".join(parts)


def order_number_of(shipment: Shipment) -> str:
    """The OrderNumber ShipStation shows: the order's number, "-<position>" added when the order has
    more than one shipment to send."""
    number = shipment.order.number
    return number if shipment.delivered_count == 1 else f"{number}-{shipment.position}"


def _order(shipment: Shipment, locations: dict) -> str:
    order = shipment.order
    lines = shipment.export_lines
    waiting = any(line.reserved_quantity < line.quantity for line in lines)
    status = shipstation_status(order, shipment, waiting)
    totals = totals_of(shipment, lines)
    fields = [
        _element("OrderID", cdata(shipment.pk)),
        _element("OrderNumber", cdata(order_number_of(shipment), 50)),
        _element("OrderDate", _date_text(order.placed_at or order.created_at)),
        _element("OrderStatus", cdata(status)),
        _element("LastModified", _date_text(shipment.last_modified)),
        _element("ShippingMethod", cdata(shipment.shipping_method, 100)),
        _element("PaymentMethod", cdata(order.get_payment_method_display(), 50)),
        _element("CurrencyCode", order.currency),
        _element("OrderTotal", _amount(totals.total)),
        _element("TaxAmount", _amount(totals.tax)),
        _element("ShippingAmount", _amount(totals.shipping)),
        _element("CustomerNotes", cdata(order.notes_customer, 1000)),
        _element("InternalNotes", cdata(order.notes_internal, 1000)),
        _element("CustomField1", cdata(", ".join(order.coupon_codes or []), 100)),
        _element("CustomField2", cdata(shipment.warehouse.code, 100)),
        _element("Customer", _customer(order, shipment)),
        _element("Items", "".join(_items(shipment, lines, totals, locations))),
    ]
    return "<Order>" + "".join(fields) + "</Order>\n"


def _customer(order, shipment: Shipment) -> str:
    billing = order.billing_address or {}
    ship_to = shipment.ship_to or {}
    code = order.email if 0 < len(order.email) <= 50 else (f"customer-{order.customer_id}" if order.customer_id else "")
    bill_to = [
        _element("Name", cdata(billing.get("name") or order.customer_name, 100)),
        _element("Company", cdata(billing.get("company"), 100)),
        _element("Phone", cdata(billing.get("phone") or order.phone, 50)),
        _element("Email", cdata(order.email)),
    ]
    ship = [
        _element("Name", cdata(ship_to.get("name") or order.customer_name, 100)),
        _element("Company", cdata(ship_to.get("company"), 100)),
        _element("Address1", cdata(ship_to.get("line1"), 100)),
        _element("Address2", cdata(ship_to.get("line2"), 100)),
        _element("City", cdata(ship_to.get("city"), 100)),
        _element("State", cdata(ship_to.get("region"), 100)),
        _element("PostalCode", cdata(ship_to.get("postal_code"), 50)),
        _element("Country", cdata(str(ship_to.get("country") or "").strip().upper()[:2])),
        _element("Phone", cdata(ship_to.get("phone") or order.phone, 50)),
    ]
    return (
        _element("CustomerCode", cdata(code or order.number, 50))
        + _element("BillTo", "".join(bill_to))
        + _element("ShipTo", "".join(ship))
    )


def _number(value: Decimal) -> str:
    """A decimal without trailing zeros past the cents (12.5000 -> 12.50, 3.3333 stays)."""
    text = f"{value.quantize(Decimal('0.0001')):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def _items(shipment: Shipment, lines: list[ShipmentLine], totals: Totals, locations: dict) -> list[str]:
    items, priced = [], Decimal(0)
    for line in lines:
        order_line = line.order_line
        product = order_line.product
        price = unit_price(order_line)
        priced += price * line.quantity
        fields = [
            _element("LineItemID", cdata(line.pk)),
            _element("SKU", cdata(order_line.sku, 100)),
            _element("Name", cdata(order_line.name, 200)),
        ]
        if product.weight_kg:
            fields.append(_element("Weight", f"{(product.weight_kg * 1000).normalize():f}"))
            fields.append(_element("WeightUnits", "Grams"))
        fields.append(_element("Quantity", str(line.quantity)))
        fields.append(_element("UnitPrice", _number(price)))
        location = locations.get((product.pk, shipment.warehouse_id))
        if location:
            fields.append(_element("Location", cdata(location)))
        items.append(_element("Item", "".join(fields)))
    adjustment = totals.goods - quantize(priced)
    if adjustment:
        items.append(
            _element(
                "Item",
                _element("SKU", cdata(""))
                + _element("Name", cdata(_adjustment_name(shipment.order, adjustment), 200))
                + _element("Quantity", "1")
                + _element("UnitPrice", _amount(adjustment))
                + _element("Adjustment", "true"),
            )
        )
    return items


def _adjustment_name(order, amount: Decimal) -> str:
    if amount > 0:
        return "Rounding"
    described = [a.get("description", "") for a in (order.pricing or {}).get("order_adjustments", [])]
    described = [text for text in described if text]
    return "Order discount" + (f": {'; '.join(described)}" if described else "")
