"""Views of the order pages: the list, an order's page and its actions (orders.views.orders), the
order entry screen (orders.views.entry), the same screen changing a placed order (orders.views.edit),
and a customer's orders for the customer page to embed (orders.views.customers)."""
