"""The documents as PDF and as web pages (the HTML twin: the same template with a print button), and
the "Issue invoice" action of the order page.

Every document needs the Orders section and viewing orders, plus viewing its own kind (invoices,
credit notes, pick lists): the warehouse prints slips and pick lists, accounts print invoices.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from orders.documents import selectors
from orders.documents.rendering import pdf_response, render_html, render_pdf
from orders.exceptions import OrderError
from orders.services.invoicing import invoice_issue
from orders.views.access import orders_permission

VIEW_INVOICE = "orders.view_invoice"
ISSUE_INVOICE = "orders.add_invoice"
VIEW_CREDIT_NOTE = "orders.view_creditnote"
VIEW_PICK_LIST = "orders.view_picklist"


def _respond(request, fmt: str, template: str, context: dict, filename: str) -> HttpResponse:
    if fmt == "pdf":
        return pdf_response(render_pdf(template, context), f"{filename}.pdf")
    response = HttpResponse(render_html(template, context, request=request))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@orders_permission(VIEW_INVOICE)
def invoice(request, number, fmt):
    found = selectors.invoice_get(order_number=number)
    if found is None:
        raise Http404("This order has no invoice yet.")
    return _respond(request, fmt, "orders/documents/invoice.html", selectors.invoice_document(found), found.number)


@require_GET
@orders_permission()
def packing_slip(request, number, position, fmt):
    shipment = selectors.shipment_for_slip(order_number=number, position=position)
    if shipment is None:
        raise Http404("No such shipment.")
    context = selectors.packing_slip_document(shipment, return_instructions=settings.RETURN_INSTRUCTIONS)
    filename = f"packing-slip-{shipment.order.number}-{shipment.position}"
    return _respond(request, fmt, "orders/documents/packing_slip.html", context, filename)


@require_GET
@orders_permission(VIEW_CREDIT_NOTE)
def credit_note(request, number, fmt):
    note = selectors.credit_note_get(rma_number=number)
    if note is None:
        raise Http404("This return was not settled by a credit note.")
    return _respond(
        request, fmt, "orders/documents/credit_note.html", selectors.credit_note_document(note), note.number
    )


@require_GET
@orders_permission(VIEW_PICK_LIST)
def pick_list(request, number, fmt):
    found = selectors.pick_list_get(number=number)
    if found is None:
        raise Http404("No such pick list.")
    return _respond(request, fmt, "orders/documents/pick_list.html", selectors.pick_list_document(found), found.number)


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
