"""Parsing and validation of the pricing pages' input, one module per page family.

Forms never write: views pass what a form cleaned to pricing.services (or, for the cart preview, to the
cart_price selector) and add the services' PricingError messages back as form errors.
"""
