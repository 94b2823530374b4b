"""Competitor prices recorded by hand, and repricing against them within the margin floor."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from inventory.exceptions import ImportRejected, RowError
from inventory.imports.csvfile import MAX_FILE_BYTES, example_csv
from pricing import selectors, services
from pricing.exceptions import PricingError
from pricing.forms.repricing import CompetitorPriceFilterForm, CompetitorPriceForm, RepriceAcceptForm, RepriceRuleForm
from pricing.imports import COMPETITOR_PRICE_COLUMNS, COMPETITOR_PRICE_EXAMPLE_ROWS, competitor_prices_import
from pricing.views.access import pricing_permission

PAGE_SIZE = 50
# Accepting changes products' list prices: a pricing decision (pricing.change_pricelist) applied to
# inventory's products (inventory.change_product). Managers hold both; buyers only the second.
REPRICE = ("inventory.change_product", "pricing.change_pricelist")


def _competitor_page(request, record_form, import_errors=None):
    filter_form = CompetitorPriceFilterForm(request.GET)
    product = filter_form.product()
    prices = selectors.competitor_price_list(product_id=product.pk if product else None)
    context = {
        "filter_form": filter_form,
        "product": product,
        "form": record_form,
        "page": Paginator(prices, PAGE_SIZE).get_page(request.GET.get("page")),
        "columns": COMPETITOR_PRICE_COLUMNS,
        "import_errors": import_errors,
    }
    return render(request, "pricing/competitorprice_list.html", context)


@require_GET
@pricing_permission("pricing.view_competitorprice")
def competitorprice_list(request):
    return _competitor_page(request, CompetitorPriceForm(initial={"sku": request.GET.get("sku", "")}))


@require_POST
@pricing_permission("pricing.view_competitorprice", "pricing.add_competitorprice")
def competitorprice_create(request):
    form = CompetitorPriceForm(request.POST)
    if form.is_valid():
        try:
            price = services.competitor_price_record(**form.service_arguments(), actor=request.user)
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{price.competitor}'s price of {form.cleaned_data['sku']} recorded.")
            return redirect(
                f"{reverse('pricing:competitorprice-list')}?{urlencode({'sku': form.cleaned_data['product'].sku})}"
            )
    return _competitor_page(request, form)


@require_POST
@pricing_permission("pricing.view_competitorprice", "pricing.add_competitorprice")
def competitorprice_import(request):
    """Record the prices of a CSV file: all of them, or none and a report of every bad line."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV file to import.")
        return redirect("pricing:competitorprice-list")
    if upload.size > MAX_FILE_BYTES:
        return _competitor_page(request, CompetitorPriceForm(), [RowError(None, "", "The file is over 20 MB.")])
    try:
        count = competitor_prices_import(data=upload.read(), actor=request.user)
    except ImportRejected as rejected:
        return _competitor_page(request, CompetitorPriceForm(), rejected.errors)
    messages.success(request, f"{count} competitor price{'' if count == 1 else 's'} recorded from {upload.name}.")
    return redirect("pricing:competitorprice-list")


@require_GET
@pricing_permission("pricing.view_competitorprice")
def competitorprice_import_example(request):
    body = example_csv(COMPETITOR_PRICE_COLUMNS, COMPETITOR_PRICE_EXAMPLE_ROWS)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="competitor-prices-example.csv"'
    return response


@require_GET
@pricing_permission("pricing.view_competitorprice")
def reprice_list(request):
    form = RepriceRuleForm({**RepriceRuleForm.DEFAULTS, **request.GET.dict()})
    suggestions = selectors.reprice_suggestions(**form.selector_arguments()) if form.is_valid() else []
    context = {"form": form, "suggestions": suggestions, "select_all": request.GET.get("all") == "1"}
    return render(request, "pricing/reprice_list.html", context)


@require_POST
@pricing_permission("pricing.view_competitorprice", *REPRICE)
def reprice_accept(request):
    form = RepriceAcceptForm(request.POST)
    if form.is_valid():
        changed = services.reprice_accept(suggestions=form.cleaned_data["accept"])
        messages.success(request, f"{changed} list price{'' if changed == 1 else 's'} changed.")
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    rule = {name: request.POST.get(name, "") for name in RepriceRuleForm.DEFAULTS}
    return redirect(f"{reverse('pricing:reprice-list')}?{urlencode(rule)}")
