from django.urls import include, path

from orders.documents import views as documents
from orders.views import customers, edit, entry, labels, orders, returns, shipping

app_name = "orders"

urlpatterns = [
    path("", orders.order_list, name="order-list"),
    path("new/", entry.order_create, name="order-create"),
    path("new/refresh/", entry.order_entry_refresh, name="order-entry-refresh"),
    path("new/quote/", entry.order_entry_quote, name="order-entry-quote"),
    path("new/products/", entry.order_entry_products, name="order-entry-products"),
    path("new/dismiss/", entry.order_entry_dismiss, name="order-entry-dismiss"),
    path("returns/<str:number>/", returns.return_detail, name="return-detail"),
    path("returns/<str:number>/receive/", returns.return_receive, name="return-receive"),
    path("returns/<str:number>/settle/", returns.return_settle, name="return-settle"),
    path("returns/<str:number>/cancel/", returns.return_cancel, name="return-cancel"),
    path("returns/<str:number>/credit-note.pdf", documents.credit_note, {"fmt": "pdf"}, name="credit-note-pdf"),
    path("returns/<str:number>/credit-note.html", documents.credit_note, {"fmt": "html"}, name="credit-note-html"),
    path("customers/<int:customer_id>/", customers.customer_orders, name="customer-orders"),
    # Labels (orders.views.labels): batches from the fulfilment queue, and one parcel's label.
    path("labels/batch/", labels.labels_batch, name="labels-batch"),
    path("labels/batch/<int:job_id>.pdf", labels.labels_batch_pdf, name="labels-batch-pdf"),
    path("parcels/<int:parcel_id>/label.pdf", labels.parcel_label, name="parcel-label"),
    path("parcels/<int:parcel_id>/label/retry/", labels.parcel_label_retry, name="parcel-label-retry"),
    path("parcels/<int:parcel_id>/label/cancel/", labels.parcel_label_cancel, name="parcel-label-cancel"),
    path("parcels/<int:parcel_id>/tracking/", labels.parcel_tracking, name="parcel-tracking"),
    # A PDF being made by a worker: its page polls the status (orders.documents.views).
    path("documents/<int:document_id>/status/", documents.document_status, name="document-status"),
    path("documents/<int:document_id>/retry/", documents.document_retry, name="document-retry"),
    # A pick list as a document (orders.documents), beside the Fulfilment section's own pages.
    path("fulfilment/pick-lists/<str:number>.pdf", documents.pick_list, {"fmt": "pdf"}, name="pick-list-pdf"),
    path("fulfilment/pick-lists/<str:number>.html", documents.pick_list, {"fmt": "html"}, name="pick-list-html"),
    # The Fulfilment section (namespace orders:fulfilment): before the order pages, which take any word.
    path("fulfilment/", include("orders.fulfilment.urls")),
    path("<str:number>/", orders.order_detail, name="order-detail"),
    path("<str:number>/edit/", edit.order_edit, name="order-edit"),
    path("<str:number>/edit/refresh/", edit.order_edit_refresh, name="order-edit-refresh"),
    path("<str:number>/edit/quote/", edit.order_edit_quote, name="order-edit-quote"),
    path("<str:number>/edit/products/", edit.order_edit_products, name="order-edit-products"),
    path("<str:number>/hold/", orders.order_hold, name="order-hold"),
    path("<str:number>/release/", orders.order_release, name="order-release"),
    path("<str:number>/payments/", orders.order_payment, name="order-payment"),
    path("<str:number>/cancel/", orders.order_cancel, name="order-cancel"),
    path("<str:number>/returns/new/", returns.return_create, name="return-create"),
    path("<str:number>/shipments/<int:position>/ship/", shipping.shipment_ship, name="shipment-ship"),
    path("<str:number>/shipments/<int:position>/deliver/", shipping.shipment_deliver, name="shipment-deliver"),
    path("<str:number>/shipments/<int:position>/rates/", labels.shipment_rates, name="shipment-rates"),
    path("<str:number>/shipments/<int:position>/service/", labels.shipment_service, name="shipment-service"),
    path("<str:number>/shipments/<int:position>/labels/", labels.shipment_labels, name="shipment-labels"),
    path(
        "<str:number>/shipments/<int:position>/labels/block/",
        labels.shipment_labels_block,
        name="shipment-labels-block",
    ),
    path("<str:number>/shipments/<int:position>/dispatch/", labels.shipment_dispatch, name="shipment-dispatch"),
    path("<str:number>/invoice.pdf", documents.invoice, {"fmt": "pdf"}, name="invoice-pdf"),
    path("<str:number>/invoice.html", documents.invoice, {"fmt": "html"}, name="invoice-html"),
    path("<str:number>/invoice/issue/", documents.invoice_issue_view, name="invoice-issue"),
    path(
        "<str:number>/packing-slip/<int:position>.pdf", documents.packing_slip, {"fmt": "pdf"}, name="packing-slip-pdf"
    ),
    path(
        "<str:number>/packing-slip/<int:position>.html",
        documents.packing_slip,
        {"fmt": "html"},
        name="packing-slip-html",
    ),
]
