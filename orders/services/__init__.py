"""Every write of the orders app. Import the function you need from its module, e.g.
`from orders.services.placement import order_place`."""
