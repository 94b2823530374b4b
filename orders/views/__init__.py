"""Views of the order pages: the list, an order's page and its actions (orders.views.orders), and the
order entry screen (orders.views.entry)."""
