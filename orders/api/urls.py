from django.urls import path, re_path

from orders.api import views

app_name = "api"

urlpatterns = [
    path("orders", views.order_create, name="order-create"),
    # Order numbers are letters, digits and dashes ("SO-2026-000042"); anything else is not an order.
    re_path(r"^orders/(?P<number>[A-Za-z0-9-]{1,20})$", views.order_detail, name="order-detail"),
    path("stock", views.stock, name="stock"),
    path("tracking-events", views.tracking_events, name="tracking-events"),
    path("schema", views.schema, name="schema"),
    # Every other path under /api/v1/ answers in JSON too.
    re_path(r"^(?P<path>.*)$", views.not_found),
]
