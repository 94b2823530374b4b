"""The order entry screen: what it shows while the clerk types, its buttons, and placing the order."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import roles
from orders.models import Order, OrderEvent, Shipment
from orders.services.placement import order_place
from orders.states import OrderStatus, PaymentStatus
from pricing.models import CouponRedemption
from tests.crm.factories import AddressFactory, CustomerFactory
from tests.inventory.factories import ProductFactory
from tests.orders.factories import order
from tests.pricing.factories import CouponFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("orders:order-create")
REFRESH = reverse("orders:order-entry-refresh")
QUOTE = reverse("orders:order-entry-quote")
PRODUCTS = reverse("orders:order-entry-products")
HOME = {"name": "Ann Lee", "line1": "1 High Street", "city": "Leeds", "postal_code": "ls1 1aa", "country": "gb"}
OFFICE = {"name": "Ann Lee", "company": "Lee Ltd", "line1": "9 Dock Road", "city": "Bristol", "postal_code": "BS1 4AA"}
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def entry(lines=(), shipments=None, **header):
    """What the screen posts: `lines` as (sku, quantity or (quantity per shipment...), backorder?),
    `shipments` as dicts of a method and address fields."""
    shipments = shipments if shipments is not None else [{"method": "standard", **HOME}]
    data = {
        "channel": "phone",
        "customer": "",
        "customer_shown": "",
        "customer_name": "Ann Lee",
        "email": "Ann@Example.test",
        "phone": "",
        "payment_method": "cod",
        "paid_reference": "",
        "coupon_codes": "",
        "external_id": "",
        "notes_customer": "",
        "notes_internal": "",
        "add-sku": "",
        "add-quantity": "1",
        **{f"billing-{name}": "" for name in ADDRESS_FIELDS},
        **_management("shipments", len(shipments)),
        **_management("lines", len(lines)),
    }
    for number, shipment in enumerate(shipments):
        values = {"method": "standard", "address": "", "country": "GB", **shipment}
        data.update(
            {f"shipments-{number}-{name}": values.get(name, "") for name in (*ADDRESS_FIELDS, "method", "address")}
        )
    for index, (sku, quantities, *backorder) in enumerate(lines):
        data[f"lines-{index}-sku"] = sku
        quantities = quantities if isinstance(quantities, tuple) else (quantities,)
        quantities += (0,) * (len(shipments) - len(quantities))
        data.update({f"lines-{index}-q{number}": str(q) for number, q in enumerate(quantities)})
        if backorder and backorder[0]:
            data[f"lines-{index}-backorder"] = "on"
    data.update(header)
    return data


def _management(prefix, total):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(total)}


@pytest.fixture
def clerk(client_as):
    return client_as(roles.CLERK)


def value(html: str, name: str) -> str:
    """The value attribute of the input named `name` in `html` ('' when it has none)."""
    tag = html.split(f'name="{name}"')[1].split(">")[0]
    return tag.split('value="')[1].split('"')[0] if 'value="' in tag else ""


# --- the blank screen -----------------------------------------------------------------------------


def test_a_blank_screen_starts_at_the_customer_search(clerk, shop):
    page = clerk.get(CREATE).content.decode()

    assert 'id="customer-search"' in page and "autofocus" in page.split('id="customer-search"')[1].split(">")[0]
    assert 'name="shipments-0-method"' in page
    assert '<option value="standard" selected>Standard · 4.95</option>' in page
    assert '<option value="express">Express · 9.95</option>' in page
    # Only warehouses that allow it are offered for pick-up.
    assert 'value="pickup:BRS"' in page and 'value="pickup:LDS"' not in page
    assert value(page, "shipments-0-country") == "GB"
    assert "No products yet" in page


def test_starting_for_a_customer_fills_in_their_details(clerk, shop):
    customer = CustomerFactory(name="Ann Lee", email="ann@lee.test", phone="+441134960000", payment_terms_days=30)
    AddressFactory(customer=customer, line1="7 Mill Lane", city="York", postal_code="YO1 7HH", is_default_shipping=True)

    page = clerk.get(CREATE, {"customer": customer.pk}).content.decode()

    assert value(page, "customer") == str(customer.pk)
    assert value(page, "customer_name") == "Ann Lee"
    assert value(page, "email") == "ann@lee.test"
    assert value(page, "phone") == "0113 496 0000"
    assert value(page, "shipments-0-line1") == "7 Mill Lane"
    assert '<option value="account" selected>' in page  # a customer with terms buys on account
    assert "autofocus" in page.split('name="add-sku"')[1].split(">")[0]


# --- the buttons and Enter ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["mug", "MUG", "5901234123457", "enamel"])
def test_enter_adds_the_product_the_add_bar_names(clerk, shop, typed):
    shop["mug"].barcode, shop["mug"].name = "5901234123457", "Enamel mug"
    shop["mug"].save()

    page = clerk.post(REFRESH, entry(**{"add-sku": typed, "add-quantity": "3"})).content.decode()

    assert value(page, "lines-0-sku") == "MUG"
    assert value(page, "lines-0-q0") == "3"
    assert value(page, "add-sku") == "" and value(page, "add-quantity") == "1"
    assert "autofocus" in page.split('name="add-sku"')[1].split(">")[0]
    assert "LDS <b>10</b>" in page and "BRS <b>4</b>" in page  # stock per warehouse


def test_the_same_product_again_adds_to_its_line(clerk, shop):
    page = clerk.post(REFRESH, entry(lines=[("MUG", 2)], **{"add-sku": "mug", "add-quantity": "1"})).content.decode()
    assert value(page, "lines-0-q0") == "3"
    assert 'name="lines-1-sku"' not in page


def test_a_product_picked_from_the_results_is_added(clerk, shop):
    page = clerk.post(REFRESH, entry(**{"add-sku": "p", "add-pick": "PLATE"})).content.decode()
    assert value(page, "lines-0-sku") == "PLATE"


@pytest.mark.parametrize(
    ("typed", "message"),
    [("NOPE", "No product has the SKU, barcode or name “NOPE”."), ("Product", "Several products match “Product”")],
)
def test_what_the_add_bar_cannot_name_is_said_and_kept(clerk, shop, typed, message):
    ProductFactory(name="Product one")
    ProductFactory(name="Product two")

    page = clerk.post(REFRESH, entry(**{"add-sku": typed})).content.decode()

    assert message in page
    assert value(page, "add-sku") == typed
    assert 'name="lines-0-sku"' not in page
    # The matches are listed to pick from.
    results = page.split('id="product-results"')[1].split("</div>")[0]
    assert ("Product one" in results and "Product two" in results) == (typed == "Product")


def test_a_second_shipment_adds_a_quantity_column_and_removing_it_gives_its_quantities_back(clerk, shop):
    split = clerk.post(REFRESH, entry(lines=[("MUG", 2), ("PLATE", 1)], action="add-shipment")).content.decode()

    assert value(split, "shipments-TOTAL_FORMS") == "2"
    assert (value(split, "lines-0-q0"), value(split, "lines-0-q1")) == ("2", "0")
    assert "autofocus" in split.split('name="shipments-1-name"')[1].split(">")[0]

    data = entry(lines=[("MUG", (1, 1)), ("PLATE", (0, 1))], shipments=[HOME, OFFICE], action="remove-shipment-1")
    merged = clerk.post(REFRESH, data).content.decode()
    assert value(merged, "shipments-TOTAL_FORMS") == "1"
    assert (value(merged, "lines-0-q0"), value(merged, "lines-1-q0")) == ("2", "1")
    assert 'name="lines-0-q1"' not in merged


def test_removing_a_line(clerk, shop):
    page = clerk.post(REFRESH, entry(lines=[("MUG", 2), ("PLATE", 1)], action="remove-line-0")).content.decode()
    assert value(page, "lines-TOTAL_FORMS") == "1"
    assert value(page, "lines-0-sku") == "PLATE"


def test_picking_a_customer_fills_in_their_details_and_addresses(clerk, shop):
    customer = CustomerFactory(name="Cleo Park", email="cleo@park.test")
    AddressFactory(customer=customer, line1="2 Quay St", city="Hull", postal_code="HU1 1AA", is_default_shipping=True)
    AddressFactory(customer=customer, line1="3 Bank Row", city="York", postal_code="YO1 1AA", is_default_billing=True)
    data = entry(shipments=[{"method": "standard"}], customer=str(customer.pk), customer_name="", email="")

    page = clerk.post(REFRESH, data).content.decode()

    assert (value(page, "customer"), value(page, "customer_shown")) == (str(customer.pk), str(customer.pk))
    assert (value(page, "customer_name"), value(page, "email")) == ("Cleo Park", "cleo@park.test")
    assert value(page, "shipments-0-line1") == "2 Quay St"
    assert value(page, "billing-line1") == "3 Bank Row"
    assert "Change customer" in page


def test_a_customer_already_shown_keeps_what_was_typed(clerk, shop):
    customer = CustomerFactory(name="Cleo Park")
    data = entry(customer=str(customer.pk), customer_shown=str(customer.pk), customer_name="Cleo P. (her son)")
    page = clerk.post(REFRESH, data).content.decode()
    assert value(page, "customer_name") == "Cleo P. (her son)"


def test_a_customer_created_beside_the_form_is_picked(clerk, shop):
    created = CustomerFactory(name="New Person")
    # No customer in the form: the radio of the quick-create panel's answer, which htmx includes.
    data = entry(customer=str(created.pk), action="customer-created")

    page = clerk.post(REFRESH, data).content.decode()

    assert value(page, "customer") == str(created.pk)
    assert '<div id="quick-customer-slot" hx-swap-oob="true"></div>' in page


def test_changing_the_customer(clerk, shop):
    customer = CustomerFactory()
    data = entry(customer=str(customer.pk), customer_shown=str(customer.pk), action="customer-clear")
    page = clerk.post(REFRESH, data).content.decode()
    assert 'name="customer"' not in page and value(page, "customer_name") == ""
    assert 'id="customer-search"' in page


def test_an_address_from_the_book_is_copied_into_the_shipment(clerk, shop):
    customer = CustomerFactory(name="Cleo Park")
    AddressFactory(customer=customer, line1="2 Quay St", city="Hull", postal_code="HU1 1AA")
    office = AddressFactory(customer=customer, label="Office", line1="5 Dock Rd", city="Hull", postal_code="HU2 2BB")
    shipments = [HOME, {"method": "express", "address": str(office.pk)}]
    data = entry(shipments=shipments, customer=str(customer.pk), customer_shown=str(customer.pk))

    page = clerk.post(REFRESH, data).content.decode()

    assert value(page, "shipments-1-line1") == "5 Dock Rd"
    assert value(page, "shipments-1-name") == "Cleo Park"
    assert value(page, "shipments-0-line1") == "1 High Street"
    assert "Office: 5 Dock Rd, Hull, HU2 2BB" in page


def test_htmx_gets_the_screen_without_the_page_around_it(clerk, shop):
    whole = clerk.post(REFRESH, entry()).content.decode()
    partial = clerk.post(REFRESH, entry(), HTTP_HX_REQUEST="true").content.decode()

    assert whole.startswith("<!doctype html>")
    assert partial.lstrip().startswith('<div id="entry"')


# --- the live preview -----------------------------------------------------------------------------


def test_the_quote_prices_with_the_engine_and_explains(clerk, shop):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"), promotion__name="Ten")
    data = entry(lines=[("MUG", 2), ("PLATE", (1, 1))], shipments=[HOME, {"method": "express"}], coupon_codes="tenoff")

    page = clerk.post(QUOTE, data, HTTP_HX_REQUEST="true").content.decode()

    assert page.lstrip().startswith('<section class="card entry-quote" id="quote"')
    # 2 x 12.00 + 2 x 20.00 - 10.00 + 4.95 + 9.95
    assert '<td class="num" id="quote-total">68.90 GBP</td>' in page
    assert "Order: Ten: 10.00 off the order: -10.00" in page
    assert "<code>tenoff</code>" in page


def test_the_quote_costs_the_same_queries_whatever_the_number_of_lines(clerk, shop, django_assert_num_queries):
    clerk.post(QUOTE, entry(lines=[("MUG", 1)]))
    with CaptureQueriesContext(connection) as one_line:
        clerk.post(QUOTE, entry(lines=[("MUG", 1)]))
    for number in range(6):
        ProductFactory(sku=f"EXTRA-{number}")

    with django_assert_num_queries(len(one_line)):
        clerk.post(QUOTE, entry(lines=[("MUG", 1), ("PLATE", 2), *((f"EXTRA-{n}", 1) for n in range(6))]))


def test_the_quote_warns_of_shortages(clerk, shop):
    short = clerk.post(QUOTE, entry(lines=[("MUG", 20)])).content.decode()
    waiting = clerk.post(QUOTE, entry(lines=[("MUG", 20, True)])).content.decode()

    assert "MUG: 20 wanted, 14 available. Tick “Backorder” to let the rest wait for stock." in short
    assert "the rest waits as a backorder" in waiting


def test_the_quote_never_refuses(clerk, shop):
    data = entry(lines=[("MUG", "lots"), ("NOPE", 1)], channel="fax", coupon_codes="NOPE")
    data.pop("lines-TOTAL_FORMS")

    response = clerk.post(QUOTE, data)

    assert response.status_code == 200
    assert "Add products" in response.content.decode()


def test_product_search_shows_stock_per_warehouse(clerk, shop):
    page = clerk.get(PRODUCTS, {"add-sku": "mu"}).content.decode()
    nothing = clerk.get(PRODUCTS, {"add-sku": "zzz"}).content.decode()

    assert 'name="add-pick" value="MUG"' in page
    assert "BRS <b>4</b>" in page and "LDS <b>10</b>" in page
    assert "No active product matches “zzz”." in nothing


# --- placing --------------------------------------------------------------------------------------


def test_placing_a_phone_order_with_two_shipments_and_a_coupon(clerk, shop):
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    customer = CustomerFactory(name="Ann Lee", email="ann@example.test")
    data = entry(
        lines=[("MUG", (2, 0)), ("PLATE", (1, 2))],
        shipments=[{"method": "standard", **HOME}, {"method": "express", **OFFICE}],
        customer=str(customer.pk),
        customer_shown=str(customer.pk),
        coupon_codes="tenoff",
        notes_internal="Called at 10:00",
    )

    response = clerk.post(CREATE, data)

    placed = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orders:order-detail", args=[placed.number])
    assert (placed.channel, placed.customer, placed.email) == ("phone", customer, "ann@example.test")
    assert placed.status == OrderStatus.READY and placed.payment_status == PaymentStatus.UNPAID
    # 2 x 12.00 + 3 x 20.00 - 10.00 + 4.95 + 9.95
    assert (placed.subtotal_amount, placed.discount_amount) == (D("84.00"), D("10.00"))
    assert (placed.shipping_amount, placed.total_amount) == (D("14.90"), D("88.90"))
    assert placed.coupon_codes == ["tenoff"]
    assert placed.notes_internal == "Called at 10:00"
    assert placed.created_by.groups.get().name == roles.CLERK
    shipments = [
        (s.ship_to["city"], s.ship_to["postal_code"], s.shipping_method, s.shipping_amount,
         sorted((line.order_line.sku, line.quantity) for line in s.lines.all()))
        for s in placed.shipments.all()
    ]  # fmt: skip
    assert shipments == [
        ("Leeds", "LS1 1AA", "standard", D("4.95"), [("MUG", 2), ("PLATE", 1)]),
        ("Bristol", "BS1 4AA", "express", D("9.95"), [("PLATE", 2)]),
    ]
    assert placed.billing_address["line1"] == "1 High Street"  # blank billing: the first delivery address
    assert CouponRedemption.objects.get().source_id == str(placed.pk)
    assert OrderEvent.objects.filter(order=placed, kind="placed").exists()


def test_htmx_is_sent_to_the_order_page(clerk, shop):
    response = clerk.post(CREATE, entry(lines=[("MUG", 1)]), HTTP_HX_REQUEST="true")
    placed = Order.objects.get()
    assert response["HX-Redirect"] == reverse("orders:order-detail", args=[placed.number])


def test_a_pick_up_and_a_card_payment(clerk, shop):
    data = entry(lines=[("PLATE", 2)], shipments=[{"method": "pickup:BRS"}], payment_method="prepaid")
    data["paid_reference"] = "CARD-7781"

    clerk.post(CREATE, data)

    placed = Order.objects.get()
    shipment = placed.shipments.get()
    assert (shipment.is_pickup, shipment.warehouse.code, shipment.shipping_amount) == (True, "BRS", D("0"))
    assert (placed.status, placed.payment_status) == (OrderStatus.READY, PaymentStatus.PAID)
    assert placed.payments.get().reference == "CARD-7781"


def test_a_backorder_line_is_placed_when_allowed(clerk, shop):
    clerk.post(CREATE, entry(lines=[("MUG", 16, True)]))

    line = Order.objects.get().lines.get()
    assert (line.quantity, line.backordered_quantity) == (16, 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines": []}, "Add at least one product."),
        ({"lines": [("MUG", 0)]}, "Give a quantity, or remove the line."),
        ({"customer_name": "", "email": ""}, "Pick a customer or type the customer&#x27;s name."),
        ({"email": "not-an-address"}, "is not an e-mail address"),
        ({"shipments": [{"method": "standard", **HOME, "line1": ""}]}, "Required."),
        ({"shipments": [{"method": "standard", **HOME, "postal_code": "nowhere"}]}, "is not a UK postcode"),
        ({"shipments": [{"method": "pickup:LDS"}]}, "Select a valid choice."),
        ({"shipments": [HOME, OFFICE]}, "Nothing goes in this shipment"),
        ({"payment_method": "cod", "paid_reference": "X"}, "Only a prepaid order has"),
    ],
)
def test_what_the_form_refuses_is_shown_and_nothing_is_created(clerk, shop, changes, message):
    lines = changes.pop("lines", [("MUG", 1)])
    response = clerk.post(CREATE, entry(lines=lines, **changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"coupon_codes": "NOPE"}, "NOPE: unknown code."),
        ({"lines": [("MUG", 15)]}, "MUG: 15 wanted, 14 available in all warehouses. Tick “Backorder”"),
        ({"payment_method": "account"}, "Only a known customer can buy on account."),
        ({"lines": [("GONE", 1)]}, "GONE is no longer sold."),
    ],
)
def test_what_order_place_refuses_is_shown_beside_its_field_and_nothing_is_created(clerk, shop, changes, message):
    ProductFactory(sku="GONE", is_active=False)
    lines = changes.pop("lines", [("MUG", 1)])

    response = clerk.post(CREATE, entry(lines=lines, **changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Order.objects.exists()
    assert not Shipment.objects.exists() and not CouponRedemption.objects.exists()
    assert shop["mug"].stock_levels.get(warehouse=shop["leeds"]).reserved == 0


def test_an_inactive_customer_cannot_order(clerk, shop):
    customer = CustomerFactory(is_active=False)
    data = entry(lines=[("MUG", 1)], customer=str(customer.pk), customer_shown=str(customer.pk))

    response = clerk.post(CREATE, data)

    assert "This customer is no longer active: pick another one." in response.content.decode()
    assert not Order.objects.exists()


def test_a_channels_order_id_is_taken_once(clerk, shop):
    first = order_place(data=order(("MUG", 1), channel="marketplace", external_id="AMZ-1"))

    response = clerk.post(CREATE, entry(lines=[("MUG", 1)], channel="marketplace", external_id="AMZ-1"))

    assert f"This order was imported before as {first.number}." in response.content.decode()
    assert Order.objects.count() == 1


@pytest.mark.parametrize("url", [CREATE, REFRESH, QUOTE])
def test_the_warehouse_cannot_enter_orders(client_as, shop, url):
    response = client_as(roles.WAREHOUSE).post(url, entry(lines=[("MUG", 1)]))
    assert response.status_code == 403
    assert not Order.objects.exists()
