"""The order entry screen's forms, bound together (`OrderEntry`): what was typed is kept in the form
itself between requests, never in a session. The screen applies its buttons to what was typed
(`updated`, orders.forms.entry_state), parses it for the pricing preview (`quote_arguments`) and for
order_place (`order_input`), and shows the service's refusals beside the fields they concern."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.functional import cached_property

from crm.models import Address, Customer
from inventory import selectors as inventory_selectors
from inventory.exceptions import InsufficientStock
from orders.exceptions import DuplicateOrder, InvalidOrder, OrderError
from orders.forms.entry_parts import (
    PICKUP,
    PICKUP_PRICE,
    AddLineForm,
    BillingForm,
    EntryForm,
    LineForm,
    LineFormSet,
    ShipmentFormSet,
    delivery_methods,
    method_label,
    split_codes,
)
from orders.forms.entry_state import (
    EntryState,
    apply_action,
    fill_in_customer,
    picked_customer,
    quantity_of,
    read_state,
)
from orders.selectors import QuoteLineInput
from orders.services.placement import LineInput, OrderInput, ShipmentInput
from pricing.models import Channel


class OrderEntry:
    """The order entry screen's forms, bound to what was posted or showing a state."""

    def __init__(self, data=None, *, state: EntryState | None = None):
        self.is_bound = data is not None
        self.state = read_state(data) if self.is_bound else (state or EntryState.blank())
        initial = None if self.is_bound else self.state
        # Ids of their own: crm's quick-create form, shown beside this one, has an id_email and an id_phone.
        self.header = EntryForm(data, initial=initial and initial.header, auto_id="order_%s")
        self.add = AddLineForm(data, prefix="add", initial=initial and initial.add)
        self.billing = BillingForm(data, prefix="billing", initial=initial and initial.billing)
        count = max(len(self.state.shipments), 1)
        self.shipments = ShipmentFormSet(
            data,
            prefix="shipments",
            initial=initial and initial.shipments,
            form_kwargs={"methods": self.method_choices, "book": self.address_book_choices},
        )
        self.lines = LineFormSet(
            data, prefix="lines", initial=initial and initial.lines, form_kwargs={"shipment_count": count}
        )
        self.place_errors: list[str] = []
        if not self.is_bound:
            self._set_autofocus(self.state.autofocus)

    def _set_autofocus(self, html_name: str) -> None:
        forms_ = [self.header, self.add, self.billing, *self.shipments.forms, *self.lines.forms]
        for form in forms_:
            for name, form_field in form.fields.items():
                if form.add_prefix(name) == html_name:
                    form_field.widget.attrs["autofocus"] = True
                    return

    @classmethod
    def for_customer(cls, customer_id: int | None) -> OrderEntry:
        """A blank screen, with this customer picked when there is one."""
        state = EntryState.blank()
        if customer_id:
            state.header["customer"] = customer_id
            fill_in_customer(state, picked_customer(state))
            state.autofocus = "add-sku"
        return cls(state=state)

    # -- what the screen offers --

    @cached_property
    def customer(self) -> Customer | None:
        """The picked customer, with its address book (None when none is picked, or it is inactive)."""
        return picked_customer(self.state)

    @cached_property
    def method_choices(self) -> list[tuple[str, str]]:
        choices = [(key, f"{method_label(key)} · {price:.2f}") for key, price in delivery_methods().items()]
        for warehouse in self.pickup_warehouses:
            choices.append((f"{PICKUP}{warehouse.code}", f"Pick-up at {warehouse.name} ({warehouse.code}) · free"))
        return choices

    @cached_property
    def pickup_warehouses(self):
        """Warehouses a customer may collect from (Warehouse.is_pickup_location)."""
        return [w for w in inventory_selectors.warehouse_list() if w.is_pickup_location]

    @property
    def address_book_choices(self) -> list[tuple[str, str]]:
        book = self.customer.address_book if self.customer else []
        return [(str(address.pk), _address_label(address)) for address in book]

    @property
    def autofocus(self) -> str:
        return self.state.autofocus

    @property
    def add_problem(self) -> str:
        return self.state.add_problem

    @property
    def add_matches(self):
        return self.state.add_matches

    # -- the buttons --

    def updated(self, *, action: str = "update") -> OrderEntry:
        """The screen after a button or Enter (see entry_state.apply_action)."""
        return OrderEntry(state=apply_action(self.state, action, customer=self.customer))

    def quote_arguments(self) -> dict:
        """Arguments of selectors.order_entry_quote for what the screen holds; what does not parse
        counts as nothing (a preview never refuses)."""
        header = self.state.header
        lines = [
            QuoteLineInput(
                sku=str(line.get("sku") or ""),
                quantity=sum(quantity_of(line.get(f"q{n}")) for n in range(len(self.state.shipments))),
                allow_backorder=bool(line.get("backorder")),
            )
            # Every line, in order, so that the quote's lines pair with the screen's rows.
            for line in self.state.lines
        ]
        methods = [str(shipment.get("method") or "") for shipment in self.state.shipments]
        prices = delivery_methods()
        channel = header.get("channel")
        return {
            "lines": lines,
            "customer": self.customer,
            "channel": channel if channel in Channel.values else Channel.PHONE,
            "coupon_codes": split_codes(str(header.get("coupon_codes") or "")),
            "shipping_price": sum((prices.get(method, PICKUP_PRICE) for method in methods), Decimal("0.00")),
            "shipping_method": ", ".join(method for method in methods if method in prices),
        }

    # -- placing --

    def is_valid(self) -> bool:
        """The parts' own checks, then those across them: a product at least, a customer still
        active, and something in every shipment."""
        valid = [
            self.header.is_valid(),
            self.lines.is_valid(),
            self.shipments.is_valid(),
            self.billing.is_valid(),
        ]
        if self.lines.is_valid() and not self.lines.forms:
            self.place_errors.append("Add at least one product.")
            return False
        if self.header.is_valid() and self.header.cleaned_data["customer"] and self.customer is None:
            self.header.add_error("customer_name", "This customer is no longer active: pick another one.")
            return False
        if all(valid):
            for number, form in enumerate(self.shipments.forms):
                if not any(line.cleaned_data["quantities"][number] for line in self.lines.forms):
                    form.add_error(None, "Nothing goes in this shipment: give it quantities, or remove it.")
                    return False
        return all(valid)

    def order_input(self) -> OrderInput:
        """order_place's input for a valid screen."""
        header = self.header.cleaned_data
        shipments = []
        for number, form in enumerate(self.shipments.forms):
            method = form.cleaned_data["method"]
            quantities = tuple(
                (index, line.cleaned_data["quantities"][number])
                for index, line in enumerate(self.lines.forms)
                if line.cleaned_data["quantities"][number]
            )
            if method.startswith(PICKUP):
                shipments.append(ShipmentInput(pickup_warehouse=method.removeprefix(PICKUP), lines=quantities))
            else:
                shipments.append(
                    ShipmentInput(
                        ship_to=form.address_input(),
                        shipping_method=method,
                        shipping_price=delivery_methods()[method],
                        lines=quantities,
                    )
                )
        billing = self.billing.address_input() if self.billing.needs_address() else None
        if billing is None:
            billing = next((shipment.ship_to for shipment in shipments if shipment.ship_to), None)
        return OrderInput(
            channel=header["channel"],
            lines=tuple(
                LineInput(
                    sku=line.cleaned_data["sku"],
                    quantity=sum(line.cleaned_data["quantities"]),
                    allow_backorder=line.cleaned_data["backorder"],
                )
                for line in self.lines.forms
            ),
            shipments=tuple(shipments),
            payment_method=header["payment_method"],
            customer_id=header["customer"],
            customer_name=" ".join(header["customer_name"].split()),
            email=header["email"],
            phone=header["phone"],
            billing_address=billing,
            coupon_codes=header["coupon_codes"],
            external_id=header["external_id"].strip(),
            paid_reference=header["paid_reference"].strip(),
            notes_customer=header["notes_customer"].strip(),
            notes_internal=header["notes_internal"].strip(),
        )

    def add_place_error(self, error: OrderError | InsufficientStock) -> None:
        """Show why order_place refused the order beside what it concerns."""
        if isinstance(error, InvalidOrder):
            for path, message in error.errors.items():
                self._add_path_error(path, message)
        elif isinstance(error, InsufficientStock):
            for shortage in error.shortages:
                line = self._line_for(shortage.sku)
                message = (
                    f"{shortage.sku}: {shortage.requested} wanted, {shortage.available} available "
                    f"in {shortage.warehouse}. Tick “Backorder” to let the rest wait for stock."
                )
                if line is not None:
                    line.add_error(None, message)
                else:
                    self.place_errors.append(message)
        elif isinstance(error, DuplicateOrder):
            self.header.add_error("external_id", str(error))
        else:
            self.place_errors.append(str(error))

    def _add_path_error(self, path: str, message: str) -> None:
        parts = re.match(r"^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?(?:\.(\w+))?$", path)
        name, index, sub, leaf = parts.groups() if parts else (path, None, None, None)
        position = int(index) if index is not None else None
        if name == "lines" and position is not None and position < len(self.lines.forms):
            self.lines.forms[position].add_error(None, _sentence(message))
        elif name == "shipments" and position is not None and position < len(self.shipments.forms):
            form = self.shipments.forms[position]
            target = {"pickup_warehouse": "method"}.get(sub, leaf if sub == "ship_to" else None)
            form.add_error(target if target in form.fields else None, _sentence(message))
        elif name == "coupon_codes":
            codes = self.header.cleaned_data.get("coupon_codes", ())
            code = codes[position] if position is not None and position < len(codes) else ""
            self.header.add_error("coupon_codes", f"{code}: {message}." if code else f"{message}.")
        else:
            fields = {"channel": "channel", "payment": "payment_method", "customer": "customer_name"}
            target = fields.get(name)
            if target:
                self.header.add_error(target, _sentence(message))
            else:
                self.place_errors.append(f"{path}: {message}.")

    def _line_for(self, sku: str) -> LineForm | None:
        return next(
            (form for form in self.lines.forms if (form.cleaned_data.get("sku") or "").upper() == sku.upper()), None
        )


def _sentence(message: str) -> str:
    """A service's message ("unknown SKU 'X'") as a sentence beside a field ("Unknown SKU 'X'.")."""
    return f"{message[:1].upper()}{message[1:]}."


def _address_label(address: Address) -> str:
    label = f"{address.label}: " if address.label else ""
    return f"{label}{address}"
