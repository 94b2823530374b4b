from django.urls import path

from orders.views import entry, orders

app_name = "orders"

urlpatterns = [
    path("", orders.order_list, name="order-list"),
    path("new/", entry.order_create, name="order-create"),
    path("new/refresh/", entry.order_entry_refresh, name="order-entry-refresh"),
    path("new/quote/", entry.order_entry_quote, name="order-entry-quote"),
    path("new/products/", entry.order_entry_products, name="order-entry-products"),
    path("new/dismiss/", entry.order_entry_dismiss, name="order-entry-dismiss"),
    path("<str:number>/", orders.order_detail, name="order-detail"),
    path("<str:number>/hold/", orders.order_hold, name="order-hold"),
    path("<str:number>/release/", orders.order_release, name="order-release"),
    path("<str:number>/payments/", orders.order_payment, name="order-payment"),
    path("<str:number>/cancel/", orders.order_cancel, name="order-cancel"),
]
