"""The documents as PDF and as web pages (the HTML twin: the same template with a print button), and
the "Issue invoice" action of the order page.

A PDF is made by a worker and kept (orders.services.documents): the `.pdf` URL serves the kept file
of the document's current version, or asks for it and answers 202 with a page that polls the
document's status (htmx) and opens the PDF once it is ready; a failure shows there with a Retry
button. The `.html` twin is rendered in the request (a template, no PDF).

Every document needs the Orders section and viewing orders, plus viewing its own kind (invoices,
credit notes, pick lists): the warehouse prints slips and pick lists, accounts print invoices.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from orders.documents import selectors, sources
from orders.documents.rendering import pdf_response, render_html
from orders.exceptions import OrderError
from orders.models import Document
from orders.services.documents import DocumentNotFound, document_request
from orders.services.invoicing import invoice_issue
from orders.views.access import orders_permission

VIEW_INVOICE = "orders.view_invoice"
ISSUE_INVOICE = "orders.add_invoice"
VIEW_CREDIT_NOTE = "orders.view_creditnote"
VIEW_PICK_LIST = "orders.view_picklist"

Kind = Document.Kind
# Beyond the Orders section and viewing orders, as the document's own URLs ask.
KIND_PERMISSIONS = {
    Kind.INVOICE: (VIEW_INVOICE,),
    Kind.PACKING_SLIP: (),
    Kind.CREDIT_NOTE: (VIEW_CREDIT_NOTE,),
    Kind.PICK_LIST: (VIEW_PICK_LIST,),
}
STATUS_PAGE = "orders/documents/document_status.html"


def _respond(request, fmt: str, kind: str, key: str) -> HttpResponse:
    if fmt == "pdf":
        return _pdf(request, kind, key)
    source = sources.source_get(kind=kind, key=key)
    if source is None:
        raise Http404(sources.NOT_FOUND[kind])
    response = HttpResponse(render_html(source.template, source.context, request=request))
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf(request, kind: str, key: str) -> HttpResponse:
    """The kept PDF of the current version; else the page that waits for it (202) or shows why it
    could not be made."""
    try:
        requested = document_request(kind=kind, key=key)
    except DocumentNotFound as error:
        raise Http404(str(error)) from None
    document = requested.document
    if document.status == Document.Status.READY:
        with document.file.open("rb") as handle:
            return pdf_response(handle.read(), requested.source.filename)
    return _status_page(request, document, status=202 if document.status == Document.Status.PENDING else 200)


def _status_page(request, document: Document, *, status: int = 200, partial: bool = False) -> HttpResponse:
    context = {
        "document": document,
        "pdf_url": sources.pdf_url(document.kind, document.key),
        "html_url": sources.html_url(document.kind, document.key),
        "back_url": sources.back_url(document.kind, document.key),
    }
    template = f"{STATUS_PAGE}#status" if partial else STATUS_PAGE
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@orders_permission(VIEW_INVOICE)
def invoice(request, number, fmt):
    return _respond(request, fmt, Kind.INVOICE, number)


@require_GET
@orders_permission()
def packing_slip(request, number, position, fmt):
    return _respond(request, fmt, Kind.PACKING_SLIP, f"{number}/{position}")


@require_GET
@orders_permission(VIEW_CREDIT_NOTE)
def credit_note(request, number, fmt):
    return _respond(request, fmt, Kind.CREDIT_NOTE, number)


@require_GET
@orders_permission(VIEW_PICK_LIST)
def pick_list(request, number, fmt):
    return _respond(request, fmt, Kind.PICK_LIST, number)


def _document_or_404(request, document_id: int) -> Document:
    """The document, to someone who may open its kind (as its own URLs check)."""
    document = get_object_or_404(Document, pk=document_id)
    if not request.user.has_perms(KIND_PERMISSIONS[document.kind]):
        raise PermissionDenied
    return document


@require_GET
@never_cache
@vary_on_headers("HX-Request")
@orders_permission()
def document_status(request, document_id):
    """Polled every second by the page waiting for a PDF: the waiting block again while it is being
    made, its error once it failed, or (HX-Redirect) the PDF's URL once it is ready, superseded by a
    newer version, or its task looks lost (the PDF's URL asks again). Without htmx: the PDF's URL."""
    document = _document_or_404(request, document_id)
    url = sources.pdf_url(document.kind, document.key)
    if not request.htmx:
        return redirect(url)
    waiting = document.status == Document.Status.PENDING and not document.is_stale
    if waiting or document.status == Document.Status.FAILED:
        return _status_page(request, document, partial=True)
    return HttpResponseClientRedirect(url)


@require_POST
@orders_permission()
def document_retry(request, document_id):
    """Ask again for a document whose PDF could not be made (its current version), then wait for it."""
    document = _document_or_404(request, document_id)
    try:
        document_request(kind=document.kind, key=document.key, retry=True)
    except DocumentNotFound as error:
        raise Http404(str(error)) from None
    return redirect(sources.pdf_url(document.kind, document.key))


@require_POST
@orders_permission(ISSUE_INVOICE)
def invoice_issue_view(request, number):
    order = selectors.order_ref(number=number)
    if order is None:
        raise Http404("No such order.")
    try:
        issued = invoice_issue(order_id=order.pk, actor=request.user)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Invoice {issued.number} issued.")
    return redirect("orders:order-detail", order.number)
