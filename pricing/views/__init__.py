"""Views of the pricing pages: promotions and coupons, price lists, the cart preview, competitor prices
and repricing. Each needs sign-in, the Pricing section (backoffice.access_pricing) and a model
permission: pricing.view_* to look (every pricing role), add/change to make changes (managers)."""
