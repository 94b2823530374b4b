"""The JSON API v1 for storefronts and other programs: orders in, order status and stock out.

Token authentication, idempotency keys and JSON plumbing come from backoffice.api; orders are placed
by the same service as in the staff UI (orders.services.placement.order_place).
"""
