"""Views of the customer pages: the list and search, a customer's page and address book, the forms,
and the two endpoints the order entry screen calls (autocomplete and quick create).

Every view needs sign-in, the Customers section (backoffice.access_customers) and the model
permission of what it does: crm.view_customer to look, crm.add_customer / crm.change_customer and
crm.add_address / crm.change_address to change. Writes go through crm.services.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from crm import selectors, services
from crm.exceptions import CrmError
from crm.forms import (
    AddressForm,
    CustomerFilterForm,
    CustomerForm,
    DefaultAddressForm,
    NewAddressForm,
    QuickCustomerForm,
)
from crm.models import Address, Customer

VIEW = "crm.view_customer"
# Who may see the orders card (the orders app's own check for its pages).
ORDERS_VIEW = ("backoffice.access_orders", "orders.view_order")


def crm_permission(*perms):
    """Sign-in first (a redirect to the login page), then the section, viewing and `perms` (else 403)."""
    required = ("backoffice.access_customers", VIEW, *perms)

    def decorator(view):
        return login_required(permission_required(required, raise_exception=True)(view))

    return decorator


def _customer(customer_id: int) -> Customer:
    customer = selectors.customer_get(customer_id=customer_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _address(customer_id: int, address_id: int) -> Address:
    address = selectors.address_get(customer_id=customer_id, address_id=address_id)
    if address is None:
        raise Http404("No such address.")
    return address


@require_GET
@crm_permission()
@vary_on_headers("HX-Request")
def customer_list(request):
    form = CustomerFilterForm(request.GET)
    page = selectors.customer_search(**form.selector_arguments())
    template = page_or_partial(request, "crm/customer_list.html", "results")
    return render(request, template, {"form": form, "page": page})


@require_GET
@crm_permission()
def customer_detail(request, customer_id):
    customer = _customer(customer_id)
    context = {"customer": customer, **_orders_card(request.user, customer)}
    return render(request, "crm/customer_detail.html", context)


def _orders_card(user, customer: Customer) -> dict:
    """Where the page's orders card loads from: the orders app's view of the customer's orders, by URL
    name (crm reads no orders itself), for those who may see orders."""
    if not user.has_perms(ORDERS_VIEW):
        return {}
    return {
        "orders_url": reverse("orders:customer-orders", args=[customer.pk]),
        # Without htmx: the order list, filtered to the customer.
        "orders_list_url": f"{reverse('orders:order-list')}?customer={customer.pk}",
    }


@crm_permission("crm.add_customer")
def customer_create(request):
    form = CustomerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(data=form.service_data())
        except CrmError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Customer {customer} created.")
            return redirect("crm:customer-detail", customer.pk)
    return render(request, "crm/customer_form.html", {"form": form})


@crm_permission("crm.change_customer")
def customer_edit(request, customer_id):
    customer = _customer(customer_id)
    form = CustomerForm(request.POST if request.method == "POST" else None, initial=CustomerForm.initial_for(customer))
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_update(customer_id=customer.pk, data=form.service_data())
        except CrmError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Customer {customer} saved.")
            return redirect("crm:customer-detail", customer.pk)
    return render(request, "crm/customer_form.html", {"form": form, "customer": customer})


@require_POST
@crm_permission("crm.change_customer")
def customer_deactivate(request, customer_id):
    customer = services.customer_set_active(customer_id=_customer(customer_id).pk, is_active=False)
    messages.success(request, f"{customer} deactivated: kept with their history, no longer offered for orders.")
    return redirect("crm:customer-detail", customer.pk)


@require_POST
@crm_permission("crm.change_customer")
def customer_reactivate(request, customer_id):
    customer = services.customer_set_active(customer_id=_customer(customer_id).pk, is_active=True)
    messages.success(request, f"{customer} active again.")
    return redirect("crm:customer-detail", customer.pk)


@crm_permission("crm.add_address")
def address_create(request, customer_id):
    customer = _customer(customer_id)
    form = NewAddressForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_add(
                customer_id=customer.pk,
                data=form.service_data(),
                is_default_billing=form.cleaned_data["is_default_billing"],
                is_default_shipping=form.cleaned_data["is_default_shipping"],
            )
        except CrmError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Address added.")
            return redirect("crm:customer-detail", customer.pk)
    return render(request, "crm/address_form.html", {"form": form, "customer": customer})


@crm_permission("crm.change_address")
def address_edit(request, customer_id, address_id):
    address = _address(customer_id, address_id)
    form = AddressForm(request.POST if request.method == "POST" else None, initial=AddressForm.initial_for(address))
    if request.method == "POST" and form.is_valid():
        try:
            services.address_update(address_id=address.pk, data=form.service_data())
        except CrmError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Address saved.")
            return redirect("crm:customer-detail", address.customer_id)
    context = {"form": form, "customer": address.customer, "address": address}
    return render(request, "crm/address_form.html", context)


@require_POST
@crm_permission("crm.change_address")
def address_set_default(request, customer_id, address_id):
    """The address book's "default for billing / shipping" buttons; htmx gets the address book back."""
    address = _address(customer_id, address_id)
    form = DefaultAddressForm(request.POST)
    if form.is_valid():
        services.address_set_default(address_id=address.pk, **form.service_arguments())
    if request.htmx:
        context = {"customer": _customer(customer_id)}
        return render(request, "crm/customer_detail.html#addresses", context, status=200 if form.is_valid() else 400)
    if form.is_valid():
        messages.success(request, f"Default {form.cleaned_data['use']} address changed.")
    return redirect("crm:customer-detail", customer_id)


# --- for the order entry screen --------------------------------------------------------------------


@require_GET
@crm_permission()
def customer_autocomplete(request):
    """The active customers matching ?q=, as a list of radio choices named "customer" to swap into the
    order entry form (nothing until two characters are typed)."""
    query = request.GET.get("q", "")[:100].strip()
    page = selectors.customer_search(query=query, limit=selectors.AUTOCOMPLETE_SIZE) if len(query) >= 2 else None
    return render(request, "crm/customer_autocomplete.html", {"query": query, "page": page})


@crm_permission("crm.add_customer")
@vary_on_headers("HX-Request")
def customer_quick_create(request):
    """A compact form (GET) that creates a customer (POST). For htmx the answer is the form again with
    its errors, or the new customer as a chosen radio choice and a "customer-created" event."""
    form = QuickCustomerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(data=form.service_data())
        except CrmError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                messages.success(request, f"Customer {customer} created.")
                return redirect("crm:customer-detail", customer.pk)
            created = json.dumps({"customer-created": {"id": customer.pk, "name": str(customer)}})
            context = {"customer": selectors.customer_get(customer_id=customer.pk)}
            response = render(request, "crm/customer_quick_create.html#created", context)
            response["HX-Trigger"] = created
            return response
    template = page_or_partial(request, "crm/customer_quick_create.html", "form")
    return render(request, template, {"form": form})
