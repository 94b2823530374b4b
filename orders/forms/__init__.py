"""Parsing and validation of the order pages' input. Forms never save: views pass what they parse to
orders.services (placing an order, the lifecycle's transitions) or to orders.selectors (lists,
previews)."""
