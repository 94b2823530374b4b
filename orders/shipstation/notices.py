"""Reading a shipnotify call: the query parameters and the ShipNotice XML of its body.

The body is read as XML whatever the Content-Type says, with defusedxml: a DOCTYPE (and with it entity
expansion, "billion laughs", and external entities, XXE) is refused, as is anything that is not
well-formed XML with a <ShipNotice> root. The query string's order_number, carrier, service and
tracking_number win over the body's; the body's OrderID names our shipment. When the parcel left is
read from the body's LabelCreateDate and ShipDate (see `_shipped_at`).
"""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from orders.services.shipstation import NoticeItem, ShipNoticeInput, clean_text

# More items than any package holds: a body listing more is not a ShipNotice of ours.
MAX_ITEMS = 1000
_SECRET_PARAMETERS = {"ss-password", "ss-username"}


class NoticeError(ValueError):
    """The call cannot be read; the message says why (answered with 400)."""


def loggable_params(query) -> dict:
    """The query parameters to keep with the notice: the credentials left out."""
    return {key: query.get(key, "") for key in query if key.lower() not in _SECRET_PARAMETERS}


def body_text(raw: bytes) -> str:
    """The body as text to keep (bytes that are not UTF-8 replaced)."""
    return raw.decode("utf-8", errors="replace")


def notice_read(raw: bytes, query) -> ShipNoticeInput:
    """The notice in the body and the query string. An empty body is read as a notice of the query
    parameters alone, listing no items (ShipStation has been seen to post one). Raises NoticeError."""
    root = _parse(raw) if raw.strip() else None
    items: tuple[NoticeItem, ...] = ()
    if root is not None:
        items = _items(root)

    def value(parameter: str, element: str, limit: int) -> str:
        return clean_text(query.get(parameter, ""), limit) or (_text(root, element, limit) if root is not None else "")

    return ShipNoticeInput(
        order_id=_text(root, "OrderID", 50) if root is not None else "",
        order_number=value("order_number", "OrderNumber", 50),
        carrier=value("carrier", "Carrier", 60),
        service=value("service", "Service", 100),
        # Tracking numbers carry no spaces; the length is checked where the notice applies.
        tracking_number="".join(value("tracking_number", "TrackingNumber", 200).split()),
        notify_customer=_notify(_text(root, "NotifyCustomer", 10) if root is not None else ""),
        shipping_cost=_amount(_text(root, "ShippingCost", 30)) if root is not None else None,
        shipped_at=_shipped_at(_text(root, "ShipDate", 30), _text(root, "LabelCreateDate", 30))
        if root is not None
        else None,
        items=items,
    )


def _parse(raw: bytes) -> Element:
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise NoticeError(f"Refused: the XML declares a DOCTYPE or entities ({type(error).__name__}).") from error
    except ParseError as error:
        raise NoticeError(f"Malformed XML: {error}.") from error
    except (ValueError, LookupError) as error:
        # An encoding the parser does not know, or bytes it cannot decode.
        raise NoticeError(f"Malformed XML: {error}.") from error
    if _name(root) != "ShipNotice":
        raise NoticeError(f"The body is not a ShipNotice: its root element is <{clean_text(_name(root), 50)}>.")
    return root


def _items(root: Element) -> tuple[NoticeItem, ...]:
    items = []
    for container in _children(root, "Items"):
        for element in _children(container, "Item"):
            items.append(element)
    if len(items) > MAX_ITEMS:
        raise NoticeError(f"The notice lists more than {MAX_ITEMS} items.")
    result = []
    for number, element in enumerate(items, start=1):
        quantity_text = _text(element, "Quantity", 20)
        try:
            quantity = int(quantity_text)
        except ValueError:
            raise NoticeError(f"Item {number}: Quantity {quantity_text!r} is not a whole number.") from None
        if quantity < 0 or quantity > 1_000_000:
            raise NoticeError(f"Item {number}: Quantity {quantity} is out of range.")
        result.append(
            NoticeItem(
                line_item_id=_text(element, "LineItemID", 50),
                sku=_text(element, "SKU", 100),
                quantity=quantity,
            )
        )
    return tuple(result)


def _name(element: Element) -> str:
    """The element's name without a namespace."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _name(child) == name]


def _text(element: Element, name: str, limit: int) -> str:
    found = _children(element, name)
    return clean_text("".join(found[0].itertext()), limit) if found else ""


def _notify(text: str) -> bool:
    """ShipStation says false when it e-mailed the buyer itself; empty or anything else: we e-mail."""
    return text.strip().lower() not in ("false", "0", "no")


def _amount(text: str) -> Decimal | None:
    """ShippingCost, what the label cost, when it is a sensible amount (it is for information)."""
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1000000000"):
        return None
    return amount.quantize(Decimal("0.01"))


_SHIP_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_LABEL_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::\d{2})?")


def _shipped_at(ship_date: str, label_date: str) -> datetime | None:
    """When the parcel left, as ShipStation says: its LabelCreateDate (MM/dd/yyyy HH:mm, UTC) when that
    falls on the ShipDate or there is no ShipDate, else noon UTC of the ShipDate (M/d/yyyy, a day with
    no time). None when neither can be read; the service keeps it between the order's placing and now."""
    day = _datetime(_SHIP_DATE, ship_date)
    label = _datetime(_LABEL_DATE, label_date)
    if label is not None and (day is None or label.date() == day.date()):
        return label
    return day.replace(hour=12) if day is not None else None


def _datetime(pattern: re.Pattern, text: str) -> datetime | None:
    match = pattern.fullmatch(text.strip())
    if not match:
        return None
    month, day, year, *time = (int(group) for group in match.groups())
    try:
        return datetime(year, month, day, *time, tzinfo=UTC)
    except ValueError:
        return None
