"""{% shipment_labels shipment as labels %}: a shipment's parcels and label state for the order page's
Labels block (orders.shipping.selectors.shipment_labels)."""

from django import template

from orders.shipping import selectors

register = template.Library()


@register.simple_tag
def shipment_labels(shipment):
    return selectors.shipment_labels(shipment=shipment)
