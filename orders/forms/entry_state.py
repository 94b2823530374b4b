"""The order entry screen's state as typed (raw values, nothing validated), and what its buttons and
Enter do to it: add a line, split into shipments, pick a customer, copy an address from the book."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crm import selectors as crm_selectors
from crm.models import Address, Customer
from crm.normalise import default_region, format_phone
from inventory import selectors as inventory_selectors
from orders.forms.entry_parts import (
    MAX_LINES,
    MAX_SHIPMENTS,
    PICKUP,
    PRODUCT_MATCHES,
    AddLineForm,
    BillingForm,
    EntryForm,
    LineForm,
    ShipmentForm,
    delivery_methods,
)
from orders.states import PaymentMethod
from pricing.models import Channel

_ACTION = re.compile(r"^(remove-line|remove-shipment)-(\d+)$")


@dataclass
class EntryState:
    """What the screen holds, as raw values (nothing validated): the forms' initial data."""

    header: dict = field(default_factory=dict)
    add: dict = field(default_factory=dict)
    lines: list[dict] = field(default_factory=list)
    shipments: list[dict] = field(default_factory=list)
    billing: dict = field(default_factory=dict)
    # The html name of the field to put the cursor in once the screen is shown.
    autofocus: str = ""
    # Why the add bar's text was not added, and the products it matches (an inventory ProductPage).
    add_problem: str = ""
    add_matches: object = None

    @classmethod
    def blank(cls) -> EntryState:
        return cls(
            header={"channel": Channel.PHONE, "payment_method": PaymentMethod.PREPAID},
            add={"quantity": 1},
            shipments=[blank_shipment()],
            autofocus="customer-search",
        )


def blank_shipment() -> dict:
    method = next(iter(delivery_methods()), "")
    return {"method": method, "country": default_region()}


def quantity_of(value) -> int:
    """A quantity as typed, or 0 for anything that is not a whole number."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else 0


def read_state(data) -> EntryState:
    """What the page posted, as raw values: nothing is validated (a half-typed screen is still shown)."""

    def part(form_class, prefix=None, **kwargs):
        form = form_class(data, prefix=prefix, **kwargs)
        return {name: form[name].value() for name in form.fields}

    shipments = [
        part(ShipmentForm, f"shipments-{index}")
        for index in range(_count(data, "shipments", MAX_SHIPMENTS))
        if _sent(data, f"shipments-{index}")
    ]
    count = max(len(shipments), 1)
    lines = [
        part(LineForm, f"lines-{index}", shipment_count=count)
        for index in range(_count(data, "lines", MAX_LINES))
        if _sent(data, f"lines-{index}")
    ]
    add = part(AddLineForm, "add")
    # A product picked from the search results (a button named add-pick).
    add["pick"] = str(data.get("add-pick") or "")
    return EntryState(
        header=part(EntryForm),
        add=add,
        lines=lines,
        shipments=shipments or [blank_shipment()],
        billing=part(BillingForm, "billing"),
    )


def picked_customer(state: EntryState) -> Customer | None:
    """The picked customer with its address book, or None (none picked, or no longer active)."""
    customer_id = quantity_of(state.header.get("customer"))
    customer = crm_selectors.customer_get(customer_id=customer_id) if customer_id else None
    return customer if customer is not None and customer.is_active else None


def apply_action(state: EntryState, action: str, *, customer: Customer | None) -> EntryState:
    """The state after `action`: "update" (Enter: adds what the add bar names, fills in a customer just
    picked, copies addresses chosen from the book), "add-shipment", "remove-line-N",
    "remove-shipment-N", "customer-clear"; anything else is an update. `customer` is the picked one."""
    state.autofocus = ""
    match = _ACTION.match(action or "")
    if match and match[1] == "remove-line":
        index = int(match[2])
        state.lines = [line for number, line in enumerate(state.lines) if number != index]
        state.autofocus = "add-sku"
    elif match and match[1] == "remove-shipment":
        _remove_shipment(state, int(match[2]))
    elif action == "add-shipment" and len(state.shipments) < MAX_SHIPMENTS:
        state.shipments.append(blank_shipment())
        for line in state.lines:
            line[f"q{len(state.shipments) - 1}"] = 0
        first_field = "address" if customer and customer.address_book else "name"
        state.autofocus = f"shipments-{len(state.shipments) - 1}-{first_field}"
    elif action == "customer-clear":
        for name in ("customer", "customer_shown", "customer_name", "email", "phone"):
            state.header[name] = ""
        state.autofocus = "customer-search"
    else:
        _add_line(state)
        if quantity_of(state.header.get("customer")) != quantity_of(state.header.get("customer_shown")):
            fill_in_customer(state, customer)
            state.autofocus = state.autofocus or "add-sku"
        _copy_addresses(state, customer)
    return state


def fill_in_customer(state: EntryState, customer: Customer | None) -> None:
    """The picked customer's name, e-mail and phone, and their default addresses where the screen has
    none yet; a customer with payment terms buys on account unless the clerk chose otherwise."""
    header = state.header
    if customer is None:
        header["customer"] = header["customer_shown"] = ""
        return
    header.update(
        customer=customer.pk,
        customer_shown=customer.pk,
        customer_name=customer.name,
        email=customer.email,
        phone=format_phone(customer.phone),
    )
    if customer.payment_terms_days and header.get("payment_method") == PaymentMethod.PREPAID:
        header["payment_method"] = PaymentMethod.ACCOUNT
    first = state.shipments[0]
    shipping = customer.default_shipping or customer.default_billing
    if shipping and not (first.get("line1") or "").strip() and not str(first.get("method", "")).startswith(PICKUP):
        first.update(_address_values(shipping, customer))
    billing = customer.default_billing
    if billing and not any((state.billing.get(name) or "").strip() for name in ("line1", "city")):
        state.billing = _address_values(billing, customer)


def _add_line(state: EntryState) -> None:
    text = (state.add.get("pick") or state.add.get("sku") or "").strip()
    if not text:
        return
    product, problem, matches = _product_for(text)
    state.autofocus = "add-sku"
    if product is None:
        state.add_problem, state.add_matches = problem, matches
        return
    quantity = max(quantity_of(state.add.get("quantity")), 1)
    same = next((line for line in state.lines if (line.get("sku") or "").upper() == product.sku.upper()), None)
    if same is not None:
        # The same product again (scanned twice): more of it, not a second line.
        same["q0"] = quantity_of(same.get("q0")) + quantity
    elif len(state.lines) < MAX_LINES:
        line = {"sku": product.sku, "backorder": False, "q0": quantity}
        line.update({f"q{number}": 0 for number in range(1, len(state.shipments))})
        state.lines.append(line)
    state.add = {"quantity": 1}


def _product_for(text: str):
    """The product the add bar names (its SKU or barcode exactly, or the one product its words match),
    else None with the reason and the products that do match."""
    page = inventory_selectors.product_list(query=text, limit=PRODUCT_MATCHES)
    exact = [row.product for row in page.rows if text.upper() in (row.product.sku.upper(), row.product.barcode)]
    if exact:
        return exact[0], "", None
    if len(page.rows) == 1:
        return page.rows[0].product, "", None
    if page.rows:
        return None, f"Several products match “{text}”: pick one from the list.", page
    return None, f"No product has the SKU, barcode or name “{text}”.", None


def _copy_addresses(state: EntryState, customer: Customer | None) -> None:
    book = {str(address.pk): address for address in (customer.address_book if customer else [])}
    for number, shipment in enumerate(state.shipments):
        chosen = book.get(str(shipment.get("address") or ""))
        if chosen is not None:
            shipment.update(_address_values(chosen, customer))
            state.autofocus = state.autofocus or f"shipments-{number}-name"
        shipment["address"] = ""


def _remove_shipment(state: EntryState, index: int) -> None:
    """Drop a shipment; its quantities go back to the first shipment, so no line loses any."""
    if len(state.shipments) <= 1 or not 0 <= index < len(state.shipments):
        return
    count = len(state.shipments)
    del state.shipments[index]
    keep = 0 if index else 1
    for line in state.lines:
        quantities = [quantity_of(line.get(f"q{n}")) for n in range(count)]
        quantities[keep] += quantities[index]
        del quantities[index]
        for n in range(count):
            line.pop(f"q{n}", None)
        line.update({f"q{n}": quantity for n, quantity in enumerate(quantities)})
    state.autofocus = "add-sku"


def _count(data, prefix: str, limit: int) -> int:
    total = str(data.get(f"{prefix}-TOTAL_FORMS", "")).strip()
    return min(int(total), limit) if total.isdigit() else 0


def _sent(data, prefix: str) -> bool:
    """Whether the page sent anything of this row (a removed row leaves a gap in the indices)."""
    start = f"{prefix}-"
    return any(key.startswith(start) for key in data)


def _address_values(address: Address, customer: Customer) -> dict:
    return {
        "name": address.name or customer.name,
        "company": address.company or customer.company,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
        "phone": format_phone(address.phone or customer.phone),
    }
