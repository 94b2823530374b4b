"""Each kind of document by its key: what it prints (template and context, from the selectors), its
version, its file name and its pages.

The key is the number in the document's URL: an order's number (invoice), order number/shipment
position (packing slip), a return's number (credit note), a pick list's number.

The version is a short hash of the template context, serialised canonically (keys sorted, amounts and
dates as text, datetimes in local time as printed), without the values that change on every build
though the document does not (UNVERSIONED: a pick list's "printed" time), plus a fingerprint of the
templates and the stylesheet, so a new layout makes new PDFs. The context holds plain data only (see
orders.documents.selectors): a model instance in it is refused here, because a template could print
its fields and relations without the version seeing them change.
"""

import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from orders.documents import selectors
from orders.documents.rendering import STYLESHEET
from orders.models import Document

Kind = Document.Kind

TEMPLATES = {
    Kind.INVOICE: "orders/documents/invoice.html",
    Kind.PACKING_SLIP: "orders/documents/packing_slip.html",
    Kind.CREDIT_NOTE: "orders/documents/credit_note.html",
    Kind.PICK_LIST: "orders/documents/pick_list.html",
}
# Why there is no such document (the 404's message).
NOT_FOUND = {
    Kind.INVOICE: "This order has no invoice yet.",
    Kind.PACKING_SLIP: "No such shipment.",
    Kind.CREDIT_NOTE: "This return was not settled by a credit note.",
    Kind.PICK_LIST: "No such pick list.",
}
# What every document's template extends or includes.
LAYOUT_PARTS = (
    "orders/documents/base.html",
    "orders/documents/_party.html",
    "orders/documents/_footer.html",
    "orders/documents/_vat_breakdown.html",
)
# Context keys whose values change on every build without the document changing.
UNVERSIONED = frozenset({"printed_at"})
VERSION_LENGTH = 16


@dataclasses.dataclass(frozen=True)
class Source:
    kind: str
    key: str  # as stored: the entity's own number(s), whatever the case of the URL
    template: str
    context: dict
    filename: str  # the PDF's name when downloaded

    @property
    def title(self) -> str:
        return self.context["title"]


def source_get(*, kind: str, key: str) -> Source | None:
    """What the document `kind` of `key` prints now, or None when there is no such document."""
    if kind == Kind.INVOICE:
        invoice = selectors.invoice_get(order_number=key)
        if invoice is None:
            return None
        context = selectors.invoice_document(invoice)
        return Source(kind, invoice.order.number, TEMPLATES[kind], context, f"{invoice.number}.pdf")
    if kind == Kind.PACKING_SLIP:
        number, _, position = key.rpartition("/")
        if not position.isdigit():
            return None
        shipment = selectors.shipment_for_slip(order_number=number, position=int(position))
        if shipment is None:
            return None
        context = selectors.packing_slip_document(shipment, return_instructions=settings.RETURN_INSTRUCTIONS)
        number = shipment.order.number
        filename = f"packing-slip-{number}-{shipment.position}.pdf"
        return Source(kind, f"{number}/{shipment.position}", TEMPLATES[kind], context, filename)
    if kind == Kind.CREDIT_NOTE:
        note = selectors.credit_note_get(rma_number=key)
        if note is None:
            return None
        context = selectors.credit_note_document(note)
        return Source(kind, note.rma.number, TEMPLATES[kind], context, f"{note.number}.pdf")
    if kind == Kind.PICK_LIST:
        pick_list = selectors.pick_list_get(number=key)
        if pick_list is None:
            return None
        context = selectors.pick_list_document(pick_list)
        return Source(kind, pick_list.number, TEMPLATES[kind], context, f"{pick_list.number}.pdf")
    raise ValueError(f"Unknown kind of document: {kind!r}")


def document_version(source: Source) -> str:
    """The version of what the document prints: equal for equal contexts, different when anything
    printed differs."""
    printed = {name: value for name, value in source.context.items() if name not in UNVERSIONED}
    # Read again each time in development, where templates change without a restart.
    layout = _layout_fingerprint.__wrapped__() if settings.DEBUG else _layout_fingerprint()
    payload = json.dumps(
        {"kind": str(source.kind), "layout": layout, "context": printed},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_plain,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:VERSION_LENGTH]


def _plain(value):
    """JSON for the values a context holds besides str, int, bool, None, lists and dicts."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        # As printed: in the local time zone (a change of TIME_ZONE changes what is printed).
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(
        f"A document's context holds plain data only, not {type(value).__name__}: the version could not "
        f"see what a template prints of it (orders.documents.selectors)."
    )


@cache
def _layout_fingerprint() -> str:
    """A hash of the documents' templates and stylesheet, as deployed (read once per process)."""
    names = [*TEMPLATES.values(), *LAYOUT_PARTS]
    files = [Path(get_template(name).origin.name) for name in names]
    stylesheet = finders.find(STYLESHEET)
    if stylesheet:
        files.append(Path(stylesheet))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:VERSION_LENGTH]


# --- pages ------------------------------------------------------------------------------------------


def pdf_url(kind: str, key: str) -> str:
    """Where the document's PDF is served (or made, then served)."""
    return _url(kind, key, "pdf")


def html_url(kind: str, key: str) -> str:
    """The document as a web page (rendered in the request, no PDF)."""
    return _url(kind, key, "html")


def _url(kind: str, key: str, fmt: str) -> str:
    if kind == Kind.INVOICE:
        return reverse(f"orders:invoice-{fmt}", args=[key])
    if kind == Kind.PACKING_SLIP:
        number, _, position = key.rpartition("/")
        return reverse(f"orders:packing-slip-{fmt}", args=[number, int(position)])
    if kind == Kind.CREDIT_NOTE:
        return reverse(f"orders:credit-note-{fmt}", args=[key])
    return reverse(f"orders:pick-list-{fmt}", args=[key])


def back_url(kind: str, key: str) -> str:
    """The page the document is printed from: its order, return or pick list."""
    if kind in (Kind.INVOICE, Kind.PACKING_SLIP):
        return reverse("orders:order-detail", args=[key.partition("/")[0]])
    if kind == Kind.CREDIT_NOTE:
        return reverse("orders:return-detail", args=[key])
    return reverse("orders:fulfilment:pick-list-detail", args=[key])
