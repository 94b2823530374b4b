"""Printed documents: invoices, packing slips, credit notes and pick lists, rendered from HTML
templates (templates/orders/documents/) to PDF with WeasyPrint, and the same templates in the browser."""
