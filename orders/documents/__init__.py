"""Printed documents: invoices, packing slips, credit notes and pick lists, rendered from HTML
templates (templates/orders/documents/) to PDF with WeasyPrint by Celery workers and kept
(orders.services.documents, orders.documents.sources), and the same templates in the browser."""
