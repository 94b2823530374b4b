from django.urls import path

from pricing.views import access, preview, price_lists, promotions, repricing

app_name = "pricing"

urlpatterns = [
    path("", promotions.promotion_list, name="promotion-list"),
    path("promotions/new/", promotions.promotion_create, name="promotion-create"),
    path("promotions/kind-fields/", promotions.promotion_kind_fields, name="promotion-kind-fields"),
    path("promotions/<int:promotion_id>/", promotions.promotion_detail, name="promotion-detail"),
    path("promotions/<int:promotion_id>/edit/", promotions.promotion_edit, name="promotion-edit"),
    path(
        "promotions/<int:promotion_id>/deactivate/",
        promotions.promotion_deactivate,
        name="promotion-deactivate",
    ),
    path(
        "promotions/<int:promotion_id>/reactivate/",
        promotions.promotion_reactivate,
        name="promotion-reactivate",
    ),
    path("promotions/<int:promotion_id>/coupons/new/", promotions.coupon_create, name="coupon-create"),
    path(
        "promotions/<int:promotion_id>/batches/new/",
        promotions.coupon_batch_create,
        name="couponbatch-create",
    ),
    path("coupons/", promotions.coupon_list, name="coupon-list"),
    path("coupons/batches/<int:batch_id>/codes.csv", promotions.coupon_batch_download, name="couponbatch-download"),
    path("price-lists/", price_lists.pricelist_list, name="pricelist-list"),
    path("price-lists/new/", price_lists.pricelist_create, name="pricelist-create"),
    path("price-lists/row/", price_lists.pricelist_item_row, name="pricelist-item-row"),
    path("price-lists/<int:price_list_id>/", price_lists.pricelist_detail, name="pricelist-detail"),
    path("price-lists/<int:price_list_id>/edit/", price_lists.pricelist_edit, name="pricelist-edit"),
    path("try/", preview.cart_preview, name="cart-preview"),
    path("try/line/", preview.cart_line_row, name="cart-line-row"),
    path("rows/remove/", access.row_remove, name="row-remove"),
    path("competitor-prices/", repricing.competitorprice_list, name="competitorprice-list"),
    path("competitor-prices/new/", repricing.competitorprice_create, name="competitorprice-create"),
    path("competitor-prices/import/", repricing.competitorprice_import, name="competitorprice-import"),
    path(
        "competitor-prices/import/example.csv",
        repricing.competitorprice_import_example,
        name="competitorprice-import-example",
    ),
    path("repricing/", repricing.reprice_list, name="reprice-list"),
    path("repricing/accept/", repricing.reprice_accept, name="reprice-accept"),
]
