"""The order entry screen filled in with a placed order, to change it through order_edit: its lines
with their quantity in each shipment, its shipments (the rows allocation split between warehouses
shown together again as the delivery they came from), billing address, payment method, coupons and
notes. The channel, the channel's order id and the customer are the order's and are not offered
(order_edit keeps them); everything else works as when the order was taken."""

from __future__ import annotations

import json
from collections import defaultdict

from django.utils.functional import cached_property

from crm import selectors as crm_selectors
from crm.models import Customer
from crm.normalise import default_region, format_phone
from orders.forms.entry import OrderEntry
from orders.forms.entry_parts import PICKUP, AddressForm, delivery_methods, method_label
from orders.forms.entry_state import EntryState, apply_action, blank_shipment
from orders.models import Order, Shipment

# The buttons of the entry screen that the change screen offers: not those that pick the customer.
_CUSTOMER_ACTIONS = {"customer-clear", "customer-created"}
# The header fields the change screen carries without showing them.
FIXED_FIELDS = ("channel", "customer", "customer_shown", "customer_name")


class OrderEdit(OrderEntry):
    """The entry screen's forms for changing `order` (as selectors.order_get gives it).

    `opened_at` is the order's updated_at when the screen was first shown, posted back with every
    request: saving is refused when the order has changed since (a colleague's change, a payment), so
    that nobody overwrites what they have not seen."""

    def __init__(self, order: Order, data=None, *, state: EntryState | None = None, opened_at: str = ""):
        self.order = order
        super().__init__(data, state=state)
        posted = str(data.get("opened_at") or "") if data is not None else ""
        self.opened_at = posted or opened_at or order.updated_at.isoformat()

    @classmethod
    def for_order(cls, order: Order) -> OrderEdit:
        return cls(order, state=order_state(order))

    @cached_property
    def customer(self) -> Customer | None:
        """The order's customer (even one made inactive since: the order stays theirs)."""
        return crm_selectors.customer_get(customer_id=self.order.customer_id) if self.order.customer_id else None

    def updated(self, *, action: str = "update") -> OrderEdit:
        """The screen after a button or Enter (entry_state.apply_action); the customer stays."""
        if action in _CUSTOMER_ACTIONS:
            action = "update"
        state = apply_action(self.state, action, customer=self.customer)
        return OrderEdit(self.order, state=state, opened_at=self.opened_at)

    def quote_arguments(self) -> dict:
        return {
            **super().quote_arguments(),
            "channel": self.order.channel,
            "customer": self.customer,
            "order_id": self.order.pk,
        }

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        if self.opened_at != self.order.updated_at.isoformat():
            self.place_errors.append(
                f"Order {self.order.number} has changed since this screen was opened: nothing was saved. "
                "Open the change screen again to start from the order as it is now."
            )
            return False
        return True

    @property
    def fixed_errors(self) -> list[str]:
        """Errors of the fields the screen carries without showing (the order's own values)."""
        return [error for name in FIXED_FIELDS for error in self.header.errors.get(name, [])]


def order_state(order: Order) -> EntryState:
    """The screen's state for an order: one shipment per delivery (address and method) or pick-up,
    each line's quantity in each, and the order's header and billing address."""
    deliveries: dict[str, dict] = {}
    quantities: dict[str, dict[int, int]] = {}
    for shipment in order.shipments.all():
        key = _delivery_key(shipment)
        if key not in deliveries:
            deliveries[key] = _delivery(shipment)
            quantities[key] = defaultdict(int)
        for line in shipment.lines.all():
            quantities[key][line.order_line_id] += line.quantity
    keys = list(deliveries) or [""]
    lines = []
    for line in order.lines.all():
        row = {"sku": line.sku, "backorder": line.backordered_quantity > 0}
        row.update({f"q{number}": quantities.get(key, {}).get(line.pk, 0) for number, key in enumerate(keys)})
        # A quantity in no shipment (none should be) goes to the first: the screen shows all of it.
        row["q0"] += line.quantity - sum(row[f"q{number}"] for number in range(len(keys)))
        lines.append(row)
    return EntryState(
        header={
            "channel": order.channel,
            "customer": order.customer_id or "",
            "customer_shown": order.customer_id or "",
            "customer_name": order.customer_name,
            "email": order.email,
            "phone": format_phone(order.phone),
            "payment_method": order.payment_method,
            "coupon_codes": ", ".join(order.coupon_codes),
            "notes_customer": order.notes_customer,
            "notes_internal": order.notes_internal,
        },
        add={"quantity": 1},
        lines=lines,
        shipments=list(deliveries.values()) or [blank_shipment()],
        billing=_address(order.billing_address) if order.billing_address else {"country": default_region()},
        # Changing a quantity is the most common change: the cursor starts on the first one.
        autofocus="lines-0-q0" if lines else "add-sku",
    )


def _delivery_key(shipment: Shipment) -> str:
    if shipment.is_pickup:
        return f"{PICKUP}{shipment.warehouse.code}"
    return json.dumps([shipment.shipping_method.lower(), shipment.ship_to], sort_keys=True)


def _delivery(shipment: Shipment) -> dict:
    if shipment.is_pickup:
        return {"method": f"{PICKUP}{shipment.warehouse.code}", "country": default_region()}
    return {"method": _method_key(shipment.shipping_method), **_address(shipment.ship_to)}


def _method_key(method: str) -> str:
    """The delivery method's key in settings.SHIPPING_METHODS, matched without regard to case or to
    the label shown for it; an unknown method is kept as it is (the screen then asks for another)."""
    for key in delivery_methods():
        if method.strip().lower() in (key.lower(), method_label(key).lower()):
            return key
    return method


def _address(address: dict) -> dict:
    values = {name: str(address.get(name) or "") for name in AddressForm.ADDRESS_FIELDS}
    values["phone"] = format_phone(values["phone"])
    values["country"] = values["country"] or default_region()
    return values
