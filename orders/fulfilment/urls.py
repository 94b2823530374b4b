"""The Fulfilment section's pages, under /orders/fulfilment/ (namespace orders:fulfilment)."""

from django.urls import path

from orders.views.fulfilment import packing, picking, queue, shipping

app_name = "fulfilment"

urlpatterns = [
    path("", queue.fulfilment_home, name="home"),
    path("queue/<slug:code>/", queue.queue, name="queue"),
    path("queue/<slug:code>/pick-lists/", queue.pick_list_list, name="pick-list-list"),
    path("queue/<slug:code>/pick-lists/new/", queue.pick_list_create, name="pick-list-create"),
    path("pick-lists/<str:number>/", picking.pick_list_detail, name="pick-list-detail"),
    path("pick-lists/<str:number>/confirm/", picking.pick_list_confirm, name="pick-list-confirm"),
    path("pick-lists/<str:number>/print/", picking.pick_list_print, name="pick-list-print"),
    path("pack/", packing.pack_start, name="pack"),
    path("pack/<int:shipment_id>/", packing.pack_shipment, name="pack-shipment"),
    path("pack/<int:shipment_id>/scan/", packing.pack_scan, name="pack-scan"),
    path("pack/<int:shipment_id>/pack/", packing.pack_submit, name="pack-submit"),
    path("pack/<int:shipment_id>/parcels/", shipping.pack_parcels, name="pack-parcels"),
    path("pack/<int:shipment_id>/service/", shipping.pack_service, name="pack-service"),
    path("pack/<int:shipment_id>/labels/", shipping.pack_labels, name="pack-labels"),
    path("pack/<int:shipment_id>/tracking/", shipping.pack_tracking, name="pack-tracking"),
    path("pack/<int:shipment_id>/ship/", shipping.pack_ship, name="pack-ship"),
]
