from django.urls import path

from orders.shipstation import views

app_name = "shipstation"

urlpatterns = [
    path("shipstation/", views.endpoint, name="endpoint"),
    # The URL as a merchant may type it into ShipStation: a redirect to the slashed one would lose a
    # POST's body.
    path("shipstation", views.endpoint),
]
