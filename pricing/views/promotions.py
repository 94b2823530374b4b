"""Promotions and their coupons: lists, the promotion form, single codes, generated batches."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from pricing import selectors, services
from pricing.exceptions import PricingError
from pricing.forms.promotions import CouponBatchForm, CouponForm, PromotionFilterForm, PromotionForm
from pricing.models import CouponBatch, Promotion
from pricing.views.access import pricing_permission

PAGE_SIZE = 50


def _promotion(promotion_id: int) -> Promotion:
    return get_object_or_404(Promotion.objects.select_related("tier"), pk=promotion_id)


@require_GET
@pricing_permission("pricing.view_promotion")
@vary_on_headers("HX-Request")
def promotion_list(request):
    form = PromotionFilterForm(request.GET)
    promotions = selectors.promotion_list(**form.selector_arguments())
    page = Paginator(promotions, PAGE_SIZE).get_page(request.GET.get("page"))
    template = page_or_partial(request, "pricing/promotion_list.html", "results")
    return render(request, template, {"form": form, "page": page})


@require_GET
@pricing_permission("pricing.view_promotion", "pricing.view_coupon")
def promotion_detail(request, promotion_id):
    promotion = _promotion(promotion_id)
    coupons = selectors.coupon_list(promotion_id=promotion.pk)
    page = Paginator(coupons, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pricing/promotion_detail.html", {"promotion": promotion, "coupons": page})


@pricing_permission("pricing.add_promotion")
def promotion_create(request):
    form = PromotionForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_create(**form.service_arguments())
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Promotion “{promotion.name}” created.")
            return redirect("pricing:promotion-detail", promotion.pk)
    return render(request, "pricing/promotion_form.html", {"form": form})


@pricing_permission("pricing.change_promotion")
def promotion_edit(request, promotion_id):
    promotion = _promotion(promotion_id)
    form = PromotionForm(request.POST or None, initial=PromotionForm.initial_for(promotion))
    if request.method == "POST" and form.is_valid():
        try:
            services.promotion_update(promotion_id=promotion.pk, **form.service_arguments())
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Promotion “{form.cleaned_data['name']}” saved.")
            return redirect("pricing:promotion-detail", promotion.pk)
    return render(request, "pricing/promotion_form.html", {"form": form, "promotion": promotion})


@require_GET
@pricing_permission("pricing.view_promotion")
def promotion_kind_fields(request):
    """The terms of the kind the form's select now names (htmx swaps them in), keeping what was typed."""
    form = PromotionForm(initial=PromotionForm.initial_from_query(request.GET))
    return render(request, "pricing/promotion_form.html#kind-fields", {"form": form})


@require_POST
@pricing_permission("pricing.change_promotion")
def promotion_deactivate(request, promotion_id):
    promotion = services.promotion_set_active(promotion_id=_promotion(promotion_id).pk, is_active=False)
    messages.success(request, f"Promotion “{promotion.name}” deactivated: it no longer applies.")
    return redirect("pricing:promotion-detail", promotion.pk)


@require_POST
@pricing_permission("pricing.change_promotion")
def promotion_reactivate(request, promotion_id):
    promotion = services.promotion_set_active(promotion_id=_promotion(promotion_id).pk, is_active=True)
    messages.success(request, f"Promotion “{promotion.name}” active again.")
    return redirect("pricing:promotion-detail", promotion.pk)


@require_GET
@pricing_permission("pricing.view_coupon")
@vary_on_headers("HX-Request")
def coupon_list(request):
    query = request.GET.get("q", "")[:40]
    page = Paginator(selectors.coupon_list(query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    template = page_or_partial(request, "pricing/coupon_list.html", "results")
    return render(request, template, {"query": query, "page": page})


@pricing_permission("pricing.add_coupon")
def coupon_create(request, promotion_id):
    promotion = _promotion(promotion_id)
    form = CouponForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            coupon = services.coupon_create(promotion_id=promotion.pk, **form.service_arguments())
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Coupon {coupon.code} created.")
            return redirect("pricing:promotion-detail", promotion.pk)
    return render(request, "pricing/coupon_form.html", {"form": form, "promotion": promotion})


@pricing_permission("pricing.add_couponbatch", "pricing.add_coupon")
def coupon_batch_create(request, promotion_id):
    promotion = _promotion(promotion_id)
    form = CouponBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.coupon_batch_create(promotion_id=promotion.pk, **form.cleaned_data)
        except PricingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{batch.size} codes generated ({batch.prefix}-…); download them below.")
            return redirect("pricing:promotion-detail", promotion.pk)
    return render(request, "pricing/couponbatch_form.html", {"form": form, "promotion": promotion})


@require_GET
@pricing_permission("pricing.view_couponbatch", "pricing.view_coupon")
def coupon_batch_download(request, batch_id):
    batch = get_object_or_404(CouponBatch, pk=batch_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coupons-{batch.prefix}-{batch.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(["code", "usage_limit", "valid_from", "valid_until"])
    for coupon in batch.coupons.order_by("code").iterator():
        writer.writerow(
            [
                coupon.code,
                coupon.usage_limit or "",
                coupon.valid_from.isoformat() if coupon.valid_from else "",
                coupon.valid_until.isoformat() if coupon.valid_until else "",
            ]
        )
    return response
