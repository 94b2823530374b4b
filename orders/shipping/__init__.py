"""Carriers and rates: the adapters that quote, label, cancel and read tracking for each kind of
carrier (orders.shipping.carriers), rate shopping (orders.shipping.rates), working-day delivery dates
(orders.shipping.calendar) and the 4x6 inch label PDF (orders.shipping.label_pdf).

Nothing here writes to the database except issuing tracking numbers: the services that change
parcels and shipments are in orders.services.labels.
"""
