"""HTML to PDF, in one place: every document is a Django template rendered to HTML, shown as it is in
the browser (the HTML twin, with a print button) or turned into an A4 PDF by WeasyPrint (in a Celery
worker only: orders.services.documents keeps the PDFs, the views serve them).

Both use one stylesheet, static file orders/documents.css: the browser links it, WeasyPrint is given
the parsed copy kept here. Fonts are the system's (DejaVu Sans ships with Debian's fontconfig). No
document fetches anything: images (barcodes) are inline SVG, and the URL fetcher allows data: only,
so nothing a customer typed can make the renderer reach out.
"""

from functools import cache

import weasyprint
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from weasyprint.text.fonts import FontConfiguration

STYLESHEET = "orders/documents.css"


@cache
def _font_config() -> FontConfiguration:
    """Fontconfig's view of the system fonts, built once per process rather than once per document."""
    return FontConfiguration()


@cache
def _stylesheet() -> weasyprint.CSS:
    """The documents' stylesheet, parsed once per process rather than once per document."""
    path = finders.find(STYLESHEET)
    if path is None:
        raise LookupError(f"static file {STYLESHEET} not found")
    return weasyprint.CSS(filename=path, url_fetcher=_fetcher(), font_config=_font_config())


def _fetcher() -> weasyprint.URLFetcher:
    # A new one per document: a fetcher keeps per-request state, and building one costs nothing.
    return weasyprint.URLFetcher(allowed_protocols={"data"}, timeout=1)


def render_html(template: str, context: dict, *, request=None) -> str:
    """The document as a web page: the same template, with the stylesheet linked and a print button."""
    return render_to_string(template, {**context, "for_pdf": False}, request=request)


def render_pdf(template: str, context: dict) -> bytes:
    """The document as PDF bytes (A4; page size and margins come from the stylesheet's @page rules)."""
    html = render_to_string(template, {**context, "for_pdf": True})
    document = weasyprint.HTML(string=html, url_fetcher=_fetcher(), media_type="print")
    return document.write_pdf(stylesheets=[_stylesheet()], font_config=_font_config())


def pdf_response(pdf: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    """A PDF answer, shown inline by the browser (or downloaded) under `filename`."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=download, filename=filename)
    # Documents carry personal data and change (payment state, picks): never cached on the way.
    response["Cache-Control"] = "private, no-store"
    return response
