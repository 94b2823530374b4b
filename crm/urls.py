from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("new/", views.customer_create, name="customer-create"),
    path("autocomplete/", views.customer_autocomplete, name="customer-autocomplete"),
    path("quick-create/", views.customer_quick_create, name="customer-quick-create"),
    path("<int:customer_id>/", views.customer_detail, name="customer-detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="customer-edit"),
    path("<int:customer_id>/deactivate/", views.customer_deactivate, name="customer-deactivate"),
    path("<int:customer_id>/reactivate/", views.customer_reactivate, name="customer-reactivate"),
    path("<int:customer_id>/addresses/new/", views.address_create, name="address-create"),
    path("<int:customer_id>/addresses/<int:address_id>/edit/", views.address_edit, name="address-edit"),
    path(
        "<int:customer_id>/addresses/<int:address_id>/default/",
        views.address_set_default,
        name="address-set-default",
    ),
]
