"""ShipStation's Custom Store, v1 (XML): the endpoint ShipStation calls to fetch our shipments to ship
(`?action=export`) and to tell us what it shipped (`?action=shipnotify`).

The protocol is summarised in ../shared/specs/shipstation_custom_store.md. auth.py checks ShipStation's
credentials, export.py reads and writes the Orders XML (amounts.py: a shipment's share of its order's
money), notices.py reads a ShipNotice, views.py is the endpoint; what a notice changes is
orders.services.shipstation's.
"""
