"""Price lists: the list, a list's prices, and the form that edits its settings and rows together."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from pricing import selectors, services
from pricing.exceptions import PricingError
from pricing.forms.fields import row_form
from pricing.forms.price_lists import PriceListForm, PriceListItemFormSet
from pricing.models import PriceList
from pricing.views.access import next_row_index, pricing_permission

ITEMS = "items"


def _price_list(price_list_id: int) -> PriceList:
    return get_object_or_404(PriceList.objects.select_related("tier"), pk=price_list_id)


@require_GET
@pricing_permission("pricing.view_pricelist")
def pricelist_list(request):
    return render(request, "pricing/pricelist_list.html", {"price_lists": selectors.price_list_list()})


@require_GET
@pricing_permission("pricing.view_pricelist")
def pricelist_detail(request, price_list_id):
    price_list = _price_list(price_list_id)
    items = selectors.price_list_items(price_list_id=price_list.pk)
    return render(request, "pricing/pricelist_detail.html", {"price_list": price_list, "items": items})


@pricing_permission("pricing.add_pricelist", "pricing.add_pricelistitem")
def pricelist_create(request):
    form = PriceListForm(request.POST or None)
    items = PriceListItemFormSet(request.POST or None, prefix=ITEMS)
    if request.method == "POST" and form.is_valid() and items.is_valid():
        try:
            price_list = services.price_list_create(items=items.rows(), **form.service_arguments())
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Price list “{price_list.name}” created.")
            return redirect("pricing:pricelist-detail", price_list.pk)
    return render(request, "pricing/pricelist_form.html", {"form": form, "items": items})


@pricing_permission("pricing.change_pricelist", "pricing.add_pricelistitem", "pricing.delete_pricelistitem")
def pricelist_edit(request, price_list_id):
    price_list = _price_list(price_list_id)
    form = PriceListForm(request.POST or None, initial=PriceListForm.initial_for(price_list))
    if request.method == "POST":
        # Bound rows are compared with nothing: a row removed on the page must not be matched with the
        # stored row that had its index.
        items = PriceListItemFormSet(request.POST, prefix=ITEMS)
    else:
        stored = selectors.price_list_items(price_list_id=price_list.pk)
        items = PriceListItemFormSet(prefix=ITEMS, initial=PriceListItemFormSet.initial_for(stored))
    if request.method == "POST" and form.is_valid() and items.is_valid():
        try:
            services.price_list_update(price_list_id=price_list.pk, items=items.rows(), **form.service_arguments())
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Price list “{form.cleaned_data['name']}” saved.")
            return redirect("pricing:pricelist-detail", price_list.pk)
    context = {"form": form, "items": items, "price_list": price_list}
    return render(request, "pricing/pricelist_form.html", context)


@require_GET
@pricing_permission("pricing.view_pricelist")
def pricelist_item_row(request):
    """A blank item row for htmx to append, with the formset's row count raised out of band."""
    index = next_row_index(request, prefix=ITEMS, limit=PriceListItemFormSet.absolute_max)
    context = {"item": row_form(PriceListItemFormSet, prefix=ITEMS, index=index), "total_forms": index + 1}
    return render(request, "pricing/pricelist_form.html#added-row", context)
