"""Views of the inventory pages (catalogue, stock, adjustments, transfers, counts, low stock).

Every view needs sign-in, the Inventory section (backoffice.access_inventory) and model permissions:
inventory.view_product to look, inventory.add_stockmovement to change stock (the services write the
movements), inventory.change_stocklevel to set reorder points.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from inventory import selectors, services
from inventory.exceptions import InventoryError
from inventory.forms import (
    AdjustmentForm,
    BinOptionsForm,
    CountBinForm,
    CountForm,
    LowStockFilterForm,
    ProductFilterForm,
    ReorderForm,
    TransferForm,
)
from inventory.models import Bin, Product

VIEW = "inventory.view_product"
MOVE_STOCK = "inventory.add_stockmovement"
SET_REORDER = "inventory.change_stocklevel"


def inventory_permission(*perms):
    """Sign-in first (a redirect to the login page), then the section and `perms` (else 403)."""
    required = ("backoffice.access_inventory", VIEW, *perms)

    def decorator(view):
        return login_required(permission_required(required, raise_exception=True)(view))

    return decorator


def _product(product_id: int) -> Product:
    return get_object_or_404(Product.objects.select_related("category", "tax_class"), pk=product_id)


@require_GET
@inventory_permission()
@vary_on_headers("HX-Request")
def product_list(request):
    form = ProductFilterForm(request.GET)
    page = selectors.product_list(**form.selector_arguments())
    template = page_or_partial(request, "inventory/product_list.html", "results")
    return render(request, template, {"form": form, "page": page})


@require_GET
@inventory_permission()
def product_detail(request, product_id):
    product = _product(product_id)
    context = {
        "product": product,
        "stock": selectors.product_stock(product=product),
        "history": selectors.product_movements(product_id=product.pk),
    }
    return render(request, "inventory/product_detail.html", context)


@require_GET
@inventory_permission()
@vary_on_headers("HX-Request")
def product_movements(request, product_id):
    """Older movements: the rows htmx appends to the product page's history, or a page of their own."""
    product = _product(product_id)
    before = request.GET.get("before", "")
    history = selectors.product_movements(product_id=product.pk, before=int(before) if before.isdigit() else None)
    template = page_or_partial(request, "inventory/product_movements.html", "rows")
    return render(request, template, {"product": product, "history": history})


@inventory_permission(MOVE_STOCK)
def product_adjust(request, product_id):
    product = _product(product_id)
    form = AdjustmentForm(
        request.POST if request.method == "POST" else None,
        initial={"warehouse": request.GET.get("warehouse")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            movement = services.stock_adjust(
                product_id=product.pk,
                warehouse_id=data["warehouse"].pk,
                bin_id=data["bin"].pk if data["bin"] else None,
                quantity=data["quantity"],
                reason=data["reason"],
                actor=request.user,
            )
        except InventoryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Adjusted {product.sku} by {movement.quantity:+d} in {data['warehouse'].code}.")
            return redirect("inventory:product-detail", product.pk)
    context = {"product": product, "form": form, "stock": selectors.product_stock(product=product)}
    return render(request, "inventory/product_adjust.html", context)


@inventory_permission(SET_REORDER)
def product_reorder(request, product_id):
    product = _product(product_id)
    initial = ReorderForm.initial_for(product=product, warehouse_id=request.GET.get("warehouse"))
    form = ReorderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_level_set_reorder(
                product_id=product.pk,
                warehouse_id=data["warehouse"].pk,
                reorder_point=data["reorder_point"],
                reorder_quantity=data["reorder_quantity"],
            )
        except InventoryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Reorder point of {product.sku} in {data['warehouse'].code} saved.")
            return redirect("inventory:product-detail", product.pk)
    context = {"product": product, "form": form, "stock": selectors.product_stock(product=product)}
    return render(request, "inventory/product_reorder.html", context)


@inventory_permission(MOVE_STOCK)
def transfer_create(request):
    form = TransferForm(
        request.POST if request.method == "POST" else None,
        initial=TransferForm.initial_for(product_id=request.GET.get("product")),
    )
    if request.method == "POST" and form.is_valid():
        product = form.cleaned_data["product"]
        try:
            services.stock_transfer(**form.service_arguments(), actor=request.user)
        except InventoryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, form.summary())
            return redirect("inventory:product-detail", product.pk)
    return render(request, "inventory/transfer_form.html", {"form": form})


@require_GET
@inventory_permission(MOVE_STOCK)
def count_start(request):
    """Choose the bin to count; the count itself is on the bin's own page."""
    form = CountBinForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("inventory:bin-count", form.cleaned_data["bin"].pk)
    return render(request, "inventory/count_start.html", {"form": form})


@inventory_permission(MOVE_STOCK)
def bin_count(request, bin_id):
    """The count sheet of a bin; posting it books the differences (a count is absolute, so posting the
    same figures twice changes nothing the second time)."""
    bin_ = get_object_or_404(Bin.objects.select_related("warehouse"), pk=bin_id)
    form = CountForm(
        request.POST if request.method == "POST" else None, contents=selectors.bin_contents(bin_id=bin_.pk)
    )
    variances = None
    if request.method == "POST" and form.is_valid():
        try:
            variances = services.stock_count(bin_id=bin_.pk, counts=form.cleaned_data["counts"], actor=request.user)
        except InventoryError as error:
            form.add_error(None, str(error))
        else:
            changed = sum(1 for v in variances if v.variance)
            messages.success(request, f"Count of {bin_} posted: {changed} of {len(variances)} counted changed.")
            form = CountForm(contents=selectors.bin_contents(bin_id=bin_.pk))
    return render(request, "inventory/bin_count.html", {"bin": bin_, "form": form, "variances": variances})


@require_GET
@inventory_permission()
def bin_options(request):
    """The <option>s of a bin select for the warehouse its warehouse select now names."""
    bins = BinOptionsForm(request.GET).bins()
    return render(request, "inventory/partials/_bin_options.html", {"bins": bins})


@require_GET
@inventory_permission()
def low_stock(request):
    form = LowStockFilterForm(request.GET)
    page = selectors.low_stock_page(warehouse_id=form.warehouse_id(), number=form.page_number())
    return render(request, "inventory/lowstock_list.html", {"form": form, "page": page})


@require_GET
@inventory_permission()
def low_stock_card(request):
    """The dashboard's low-stock card, which the dashboard loads with htmx after it is shown."""
    low_stock = selectors.low_stock_page(size=5)
    return render(request, "inventory/partials/_low_stock_card.html", {"low_stock": low_stock})
