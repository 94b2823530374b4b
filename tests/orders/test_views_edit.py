"""Changing a placed order from its page: the Edit action, the screen filled in with the order, the
live preview priced as the change will be, and saving through order_edit (or nothing at all)."""

from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from backoffice import roles
from inventory.models import StockLevel
from orders.models import Order, OrderEvent, Payment
from orders.services import lifecycle
from orders.services.placement import ShipmentInput, order_place
from orders.states import HoldReason, OrderStatus
from pricing.models import Coupon, Promotion
from tests.crm.factories import AddressFactory, CustomerFactory
from tests.inventory.factories import KitComponentFactory, KitFactory
from tests.orders.factories import HOME, OFFICE, order
from tests.pricing.factories import CouponFactory, PromotionFactory

pytestmark = pytest.mark.django_db


def place(*lines, **fields):
    """An order placed as the staff screen and the API place them: the delivery method is its key in
    settings.SHIPPING_METHODS."""
    delivery = (ShipmentInput(ship_to=HOME, shipping_method="standard", shipping_price=D("4.95")),)
    return order_place(data=order(*(lines or (("MUG", 1),)), **{"shipments": delivery, **fields}))


def edit_url(placed, suffix=""):
    return reverse(f"orders:order-edit{suffix}", args=[placed.number])


def detail_url(placed):
    return reverse("orders:order-detail", args=[placed.number])


def reserved(product, warehouse=None):
    levels = StockLevel.objects.filter(product=product)
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    return sum(levels.values_list("reserved", flat=True))


def lines_of(placed):
    return [(line.sku, line.quantity) for line in Order.objects.get(pk=placed.pk).lines.order_by("position")]


class _Form(HTMLParser):
    """What a browser posts for the page's order form: its inputs, selects and textareas."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._inside = False
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("id") == "order-form"
        if not self._inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.data[attrs["name"]] = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = attrs["name"]
            self.data.setdefault(self._select, "")
        elif tag == "option" and self._select and ("selected" in attrs or not self.data[self._select]):
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def screen(client, placed, **changes):
    """The change screen's form as the page fills it in, with `changes` typed over it."""
    response = client.get(edit_url(placed))
    assert response.status_code == 200
    parser = _Form()
    parser.feed(response.content.decode())
    return {**parser.data, **changes}


@pytest.fixture
def clerk(client_as):
    return client_as(roles.CLERK, username="carol", first_name="Carol", last_name="Clerk")


# --- who may change what, and when ------------------------------------------------------------------


def test_an_editable_order_offers_edit_to_who_may_change_orders(client_as, shop):
    placed = place()

    clerk_page = client_as(roles.CLERK).get(detail_url(placed)).content.decode()
    accountant_page = client_as(roles.ACCOUNTANT).get(detail_url(placed)).content.decode()

    assert f'href="{edit_url(placed)}"' in clerk_page
    assert "Edit order" not in accountant_page


@pytest.mark.parametrize("role", [roles.ACCOUNTANT, roles.WAREHOUSE, roles.BUYER])
def test_who_may_not_change_orders_is_refused(client_as, shop, role):
    placed = place(("MUG", 2))
    client = client_as(role)

    assert client.get(edit_url(placed)).status_code == 403
    posted = client.post(edit_url(placed), {"lines-TOTAL_FORMS": "0"})
    quote = client.post(edit_url(placed, "-quote"), {})

    assert posted.status_code == 403 and quote.status_code == 403
    assert lines_of(placed) == [("MUG", 2)]


def test_a_cancelled_order_has_no_edit_and_going_there_comes_back_with_the_reason(clerk, shop):
    placed = place(("MUG", 2))
    data = screen(clerk, placed, **{"lines-0-q0": "3"})
    lifecycle.order_cancel(order_id=placed.pk, reason="duplicate")

    page = clerk.get(detail_url(placed)).content.decode()
    opened = clerk.get(edit_url(placed), follow=True)
    saved = clerk.post(edit_url(placed), data)

    assert "Edit order" not in page
    assert opened.redirect_chain == [(detail_url(placed), 302)]
    assert "is cancelled: it can no longer be changed." in opened.content.decode()
    assert saved.status_code == 302 and saved["Location"] == detail_url(placed)
    assert lines_of(placed) == [("MUG", 2)]
    assert not OrderEvent.objects.filter(order=placed, kind="edited").exists()


def test_an_unknown_order_is_not_found(clerk, shop):
    assert clerk.get(reverse("orders:order-edit", args=["SO-1999-000001"])).status_code == 404


# --- the screen, filled in --------------------------------------------------------------------------


def test_the_screen_is_filled_in_with_the_order(clerk, shop):
    customer = CustomerFactory(name="Ann Lee")
    AddressFactory(customer=customer, label="Office", line1="Unit 9, Dock Road", city="Bristol")
    CouponFactory(code="TENOFF", promotion__kind="order_fixed", promotion__value=D("10.00"))
    placed = place(
        ("MUG", 3),
        ("PLATE", 2),
        customer_id=customer.pk,
        coupon_codes=("tenoff",),
        notes_internal="ring first",
        shipments=(
            ShipmentInput(ship_to=HOME, shipping_method="standard", shipping_price=D("4.95"), lines=((0, 3),)),
            ShipmentInput(ship_to=OFFICE, shipping_method="express", shipping_price=D("9.95"), lines=((1, 2),)),
        ),
    )

    data = screen(clerk, placed)
    page = clerk.get(edit_url(placed)).content.decode()

    assert (data["lines-0-sku"], data["lines-0-q0"], data["lines-0-q1"]) == ("MUG", "3", "0")
    assert (data["lines-1-sku"], data["lines-1-q0"], data["lines-1-q1"]) == ("PLATE", "0", "2")
    assert (data["shipments-0-method"], data["shipments-0-line1"], data["shipments-0-postal_code"]) == (
        "standard",
        "1 High Street",
        "LS1 1AA",
    )
    assert (data["shipments-1-method"], data["shipments-1-company"], data["shipments-1-city"]) == (
        "express",
        "Lee Ltd",
        "Bristol",
    )
    assert (data["coupon_codes"], data["payment_method"], data["notes_internal"]) == ("tenoff", "cod", "ring first")
    assert data["customer"] == str(customer.pk) and data["channel"] == "phone"
    # The cursor starts on the first quantity; the customer's address book is offered for the shipments.
    assert 'name="lines-0-q0" value="3"' in page and "autofocus" in page.split('name="lines-0-q0"')[1].split(">")[0]
    assert "Office: " in page
    # The live totals are the order's, priced again: 36.00 + 40.00 - 10.00 + 4.95 + 9.95.
    assert 'id="quote-total">80.90 GBP' in page


def test_a_shipment_split_between_warehouses_shows_as_the_one_delivery_it_was(clerk, shop):
    placed = place(("PLATE", 12))  # 10 from Leeds, 2 from Bristol, to one address
    assert placed.shipments.count() == 2

    data = screen(clerk, placed)

    assert data["shipments-TOTAL_FORMS"] == "1"
    assert data["lines-0-q0"] == "12"


def test_what_the_order_holds_counts_as_available_to_it(clerk, shop):
    placed = place(("MUG", 12))  # every mug in Leeds (10) and 2 of Bristol's 4

    page = clerk.get(edit_url(placed)).content.decode()

    line = page.split('<tbody class="entry-line')[1].split("</tbody>")[0]
    assert "LDS <b>10</b>" in line and "BRS <b>4</b>" in line
    assert "short" not in line


def test_what_a_kit_holds_counts_as_available_to_it_in_whole_kits(clerk, shop):
    kit = KitFactory(sku="SET", list_price=D("50.00"))
    KitComponentFactory(kit=kit, component=shop["mug"], quantity=2)
    KitComponentFactory(kit=kit, component=shop["plate"], quantity=1)
    placed = place(("SET", 4))  # 8 mugs and 4 plates reserved in Leeds, leaving 2 mugs there
    assert (reserved(shop["mug"], shop["leeds"]), reserved(shop["plate"], shop["leeds"])) == (8, 4)

    quote = clerk.post(edit_url(placed, "-quote"), screen(clerk, placed, **{"lines-0-q0": "5"}))

    # Leeds: 10 mugs make 5 sets; Bristol: 4 mugs make 2. Five sets are not short.
    content = quote.content.decode()
    assert 'id="quote-total">254.95 GBP' in content
    assert "short" not in content


# --- the live preview -------------------------------------------------------------------------------


def test_the_preview_prices_the_change_before_anything_is_saved(clerk, shop):
    PromotionFactory(name="Spend 100", kind=Promotion.Kind.SPEND_THRESHOLD, value=D("10"), min_subtotal=D("100"))
    placed = place(("PLATE", 5))  # 100.00 - 10.00 + 4.95
    data = screen(clerk, placed)
    opened = clerk.get(edit_url(placed)).content.decode()
    assert 'id="quote-total">94.95 GBP' in opened and "Spend 100" in opened

    quote = clerk.post(edit_url(placed, "-quote"), {**data, "lines-0-q0": "4"}, HTTP_HX_REQUEST="true")

    content = quote.content.decode()
    assert content.lstrip().startswith('<section class="card entry-quote" id="quote"')
    assert 'id="quote-total">84.95 GBP' in content
    assert 'id="quote-discount">0.00' in content and "Spend 100" not in content
    placed.refresh_from_db()
    assert (placed.total_amount, placed.discount_amount) == (D("94.95"), D("10.00"))
    assert reserved(shop["plate"]) == 5


def test_the_preview_keeps_the_orders_own_single_use_coupon(clerk, shop):
    CouponFactory(code="ONCE", usage_limit=1, promotion__kind="order_fixed", promotion__value=D("5.00"))
    placed = place(("MUG", 2), coupon_codes=("ONCE",))

    quote = clerk.post(edit_url(placed, "-quote"), screen(clerk, placed, **{"lines-0-q0": "3"}))

    content = quote.content.decode()
    assert "not applied" not in content
    assert 'id="quote-total">35.95 GBP' in content  # 36.00 - 5.00 + 4.95


def test_the_preview_warns_of_a_shortage_beyond_what_the_order_holds(clerk, shop):
    placed = place(("MUG", 12))

    quote = clerk.post(edit_url(placed, "-quote"), screen(clerk, placed, **{"lines-0-q0": "15"}))

    assert "short 1" in quote.content.decode() and "MUG: 15 wanted, 14 available" in quote.content.decode()


# --- saving -----------------------------------------------------------------------------------------


def test_saving_a_quantity_reprices_moves_the_reservation_and_writes_the_timeline(clerk, shop):
    PromotionFactory(name="Spend 100", kind=Promotion.Kind.SPEND_THRESHOLD, value=D("10"), min_subtotal=D("100"))
    placed = place(("PLATE", 5))

    response = clerk.post(edit_url(placed), screen(clerk, placed, **{"lines-0-q0": "4"}))

    assert response.status_code == 302 and response["Location"] == detail_url(placed)
    placed.refresh_from_db()
    assert lines_of(placed) == [("PLATE", 4)]
    assert (placed.subtotal_amount, placed.discount_amount, placed.total_amount) == (D("80.00"), D("0.00"), D("84.95"))
    assert reserved(shop["plate"]) == 4
    event = placed.events.get(kind="edited")
    assert event.message == "Order changed: PLATE 5 -> 4; total 94.95 -> 84.95"
    assert event.actor.username == "carol"
    page = clerk.get(detail_url(placed)).content.decode()
    assert 'id="order-total">84.95 GBP' in page
    assert "Order changed: PLATE 5 -&gt; 4; total 94.95 -&gt; 84.95" in page
    assert f"Order {placed.number} changed: 84.95 GBP, ready to fulfil." in page
    # The before and after, side by side.
    assert "PLATE \N{MULTIPLICATION SIGN} 5" in page and "PLATE \N{MULTIPLICATION SIGN} 4" in page


def test_a_line_added_and_a_line_removed_at_the_keyboard(clerk, shop):
    placed = place(("MUG", 3), ("PLATE", 1))
    data = screen(clerk, placed)

    # Enter in the add bar adds the product; the remove button drops the first line.
    added = clerk.post(edit_url(placed, "-refresh"), {**data, "add-sku": "plate", "add-quantity": "2"})
    data = _form_of(added)
    assert (data["lines-1-sku"], data["lines-1-q0"]) == ("PLATE", "3")
    removed = clerk.post(edit_url(placed, "-refresh"), {**data, "action": "remove-line-0"})
    data = _form_of(removed)
    assert data["lines-0-sku"] == "PLATE" and "lines-1-sku" not in data
    assert lines_of(placed) == [("MUG", 3), ("PLATE", 1)]  # nothing saved yet

    saved = clerk.post(edit_url(placed), data)

    assert saved.status_code == 302
    assert lines_of(placed) == [("PLATE", 3)]
    assert (reserved(shop["mug"]), reserved(shop["plate"])) == (0, 3)
    placed.refresh_from_db()
    assert placed.total_amount == D("64.95")  # 3 x 20.00 + 4.95
    assert placed.events.get(kind="edited").message == "Order changed: MUG removed; PLATE 1 -> 3; total 60.95 -> 64.95"


def test_a_new_address_and_a_second_shipment(clerk, shop):
    placed = place(("MUG", 2), ("PLATE", 2))
    data = screen(clerk, placed, **{"shipments-0-line1": "2 Low Street", "shipments-0-postal_code": "ls2 2bb"})

    split = _form_of(clerk.post(edit_url(placed, "-refresh"), {**data, "action": "add-shipment"}))
    split.update(
        {
            "lines-1-q0": "0",
            "lines-1-q1": "2",
            "shipments-1-method": "pickup:BRS",
        }
    )
    saved = clerk.post(edit_url(placed), split)

    assert saved.status_code == 302
    placed.refresh_from_db()
    delivery, pickup = placed.shipments.order_by("position")
    assert (delivery.ship_to["line1"], delivery.ship_to["postal_code"], delivery.warehouse.code) == (
        "2 Low Street",
        "LS2 2BB",
        "LDS",
    )
    assert [(line.order_line.sku, line.quantity) for line in delivery.lines.all()] == [("MUG", 2)]
    assert (pickup.is_pickup, pickup.warehouse.code) == (True, "BRS")
    assert [(line.order_line.sku, line.quantity) for line in pickup.lines.all()] == [("PLATE", 2)]
    assert reserved(shop["plate"], shop["bristol"]) == 2 and reserved(shop["plate"], shop["leeds"]) == 0
    assert placed.shipping_amount == D("4.95")
    assert "shipments changed" in placed.events.get(kind="edited").message


def test_htmx_is_sent_to_the_order_page(clerk, shop):
    placed = place(("MUG", 1))

    response = clerk.post(edit_url(placed), screen(clerk, placed, **{"lines-0-q0": "2"}), HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and response["HX-Redirect"] == detail_url(placed)
    assert lines_of(placed) == [("MUG", 2)]


def test_a_paid_order_that_grows_goes_on_hold_and_the_page_says_so(clerk, shop):
    placed = place(("MUG", 1), payment_method="prepaid", paid_reference="card-1")

    response = clerk.post(edit_url(placed), screen(clerk, placed, **{"lines-0-q0": "2"}), follow=True)

    placed.refresh_from_db()
    assert (placed.status, placed.hold_reason) == (OrderStatus.ON_HOLD, HoldReason.PAYMENT_PENDING)
    assert "on hold." in response.content.decode() and "On hold after the change" in response.content.decode()


# --- refused: shown on the form, nothing changes ------------------------------------------------------


def _unchanged(placed, lines, *, total, reservations):
    order_ = Order.objects.get(pk=placed.pk)
    assert lines_of(placed) == lines
    assert order_.total_amount == total
    for product, units in reservations.items():
        assert reserved(product) == units
    assert not OrderEvent.objects.filter(order=placed, kind="edited").exists()


def test_short_stock_is_shown_beside_its_line_and_nothing_changes(clerk, shop):
    placed = place(("MUG", 2), ("PLATE", 1))

    response = clerk.post(edit_url(placed), screen(clerk, placed, **{"lines-0-q0": "20"}))

    content = response.content.decode()
    assert response.status_code == 200
    line = content.split('<tbody class="entry-line')[1].split("</tbody>")[0]
    assert "MUG: 20 wanted, 14 available in all warehouses." in line
    assert 'name="lines-0-q0" value="20"' in content  # what was typed is kept
    _unchanged(placed, [("MUG", 2), ("PLATE", 1)], total=D("48.95"), reservations={shop["mug"]: 2, shop["plate"]: 1})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"coupon_codes": "NOPE"}, '<ul class="errorlist" id="order_coupon_codes_error"><li>NOPE: unknown code.</li>'),
        ({"payment_method": "account"}, "Only a known customer can buy on account."),
        ({"lines-0-q0": "0"}, "Give a quantity, or remove the line."),
        ({"shipments-0-city": ""}, "Required."),
        ({"shipments-0-method": "pickup:LDS"}, "Select a valid choice."),
    ],
)
def test_what_is_refused_is_shown_beside_its_field_and_nothing_changes(clerk, shop, changes, message):
    placed = place(("MUG", 2))

    response = clerk.post(edit_url(placed), screen(clerk, placed, **changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    _unchanged(placed, [("MUG", 2)], total=D("28.95"), reservations={shop["mug"]: 2})


def test_a_used_up_coupon_is_refused(clerk, shop):
    CouponFactory(code="ONCE", usage_limit=1, promotion__kind="order_fixed", promotion__value=D("5.00"))
    place(("MUG", 1), coupon_codes=("ONCE",))
    placed = place(("MUG", 2))

    response = clerk.post(edit_url(placed), screen(clerk, placed, coupon_codes="once"))

    assert '<ul class="errorlist" id="order_coupon_codes_error"><li>once: used up.</li>' in response.content.decode()
    assert Coupon.objects.get(code="ONCE").times_used == 1
    _unchanged(placed, [("MUG", 2)], total=D("28.95"), reservations={shop["mug"]: 3})


def test_a_change_made_meanwhile_is_not_overwritten(clerk, shop):
    placed = place(("MUG", 2))
    data = screen(clerk, placed, **{"lines-0-q0": "3"})
    # A colleague puts the order on hold while this screen is open.
    lifecycle.order_hold(order_id=placed.pk, reason=HoldReason.ADDRESS_CHECK, note="check")

    response = clerk.post(edit_url(placed), data)

    assert response.status_code == 200
    assert f"Order {placed.number} has changed since this screen was opened: nothing was saved." in (
        response.content.decode()
    )
    _unchanged(placed, [("MUG", 2)], total=D("28.95"), reservations={shop["mug"]: 2})
    assert Order.objects.get(pk=placed.pk).status == OrderStatus.ON_HOLD
    assert not Payment.objects.exists()


def test_product_search_adds_to_this_order(clerk, shop):
    placed = place(("MUG", 1))

    response = clerk.get(edit_url(placed, "-products"), {"add-sku": "PLA"})

    content = response.content.decode()
    assert "PLATE" in content and f'hx-post="{edit_url(placed, "-refresh")}"' in content


def _form_of(response):
    parser = _Form()
    parser.feed(response.content.decode())
    return parser.data
