"""'Try a cart': price a cart typed by hand with the real engine and show its whole explanation."""

from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from pricing import selectors
from pricing.forms.fields import row_form
from pricing.forms.preview import CartLineFormSet, CartPreviewForm
from pricing.views.access import next_row_index, pricing_permission

LINES = "lines"


@require_GET
@pricing_permission("pricing.view_promotion", "pricing.view_pricelist")
@vary_on_headers("HX-Request")
def cart_preview(request):
    """A GET form (pricing a cart changes nothing); htmx re-sends it on every change and swaps the result.

    Opened from a link without lines (e.g. ?coupon_codes=X from a promotion's page), the values given
    only fill the form in.
    """
    submitted = f"{LINES}-TOTAL_FORMS" in request.GET
    form = CartPreviewForm(request.GET if submitted else None, initial=request.GET.dict())
    lines = CartLineFormSet(request.GET if submitted else None, prefix=LINES)
    priced = None
    if submitted and form.is_valid() and lines.is_valid() and lines.lines():
        priced = selectors.cart_price(cart=form.cart(lines=lines.lines()))
    template = page_or_partial(request, "pricing/cart_preview.html", "result")
    return render(request, template, {"form": form, "lines": lines, "priced": priced, "submitted": submitted})


@require_GET
@pricing_permission("pricing.view_promotion")
def cart_line_row(request):
    """A blank cart line for htmx to append, with the formset's row count raised out of band."""
    index = next_row_index(request, prefix=LINES, limit=CartLineFormSet.absolute_max)
    context = {"line": row_form(CartLineFormSet, prefix=LINES, index=index), "total_forms": index + 1}
    return render(request, "pricing/cart_preview.html#added-row", context)
