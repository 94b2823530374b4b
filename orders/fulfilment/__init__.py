"""Fulfilment in the warehouse: the queue of shipments to fulfil (selectors), pick lists and picking
(picking), the pack station's scan checks (scanning) and packing into parcels (packing).

Flow: ready shipments wait in their warehouse's queue -> a pick list batches them, one stop per product
and bin in walking order -> confirming the list moves the picked units out of their bins (inventory's
pick movements) and records them on the shipment lines; short picks send their shipments back to the
queue with the reason -> the pack station checks every unit by scanning and packs the shipment into
parcels -> labels and shipping (orders.services.labels, orders.services.shipping).
"""
