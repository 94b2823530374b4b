"""The Fulfilment pages: who may open them, the queue's filters and pages, making and confirming pick
lists, and the pack station's scans as a browser (htmx) sends them."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from inventory.services import StockLine, stock_receive
from orders.fulfilment import pack_selectors, selectors
from orders.fulfilment.packing import ParcelInput, parcels_pack
from orders.fulfilment.picking import pick_list_confirm, pick_list_create
from orders.models import Carrier, CarrierService, Parcel, PickList, RateBand, Shipment, ShipmentLine, ShippingZone
from orders.services.lifecycle import order_hold
from orders.states import HoldReason
from tests.factories import UserFactory
from tests.orders.fulfilment_support import floor_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def queue_url(floor, **query):
    url = reverse("orders:fulfilment:queue", args=[floor.leeds.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def listed(response) -> list[str]:
    """The shipments the queue shows, in its order ("SO-…/1")."""
    return [f"{shipment.order.number}/{shipment.position}" for shipment in response.context["page"].shipments]


# --- who may open what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.WAREHOUSE, 200), (roles.MANAGER, 200), (roles.CLERK, 403), (roles.ACCOUNTANT, 403), (None, 403)],
)
def test_the_fulfilment_pages_need_the_fulfilment_section(client_as, floor, role, status):
    placed = floor.place(("MUG", 1))
    client = client_as(role)

    assert client.get(queue_url(floor)).status_code == status
    assert client.get(reverse("orders:fulfilment:pack")).status_code == status
    pack = reverse("orders:fulfilment:pack-shipment", args=[placed.shipments.get().pk])
    assert client.get(pack).status_code == status


def test_signing_in_comes_first(client, floor):
    response = client.get(queue_url(floor))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_section_opens_on_the_queue_and_shows_in_the_navigation(client_as, floor):
    client = client_as(roles.WAREHOUSE)

    response = client.get(reverse("orders:fulfilment:home"), follow=True)

    assert response.redirect_chain[-1][0] == queue_url(floor)
    nav = response.content.decode().split('<nav class="sections"')[1].split("</nav>")[0]
    assert 'aria-current="page">Fulfilment<' in nav
    assert 'aria-current="page">Orders<' not in nav


# --- the queue ----------------------------------------------------------------------------------------


@pytest.fixture
def services(floor):
    dpd = Carrier.objects.create(code="dpd", name="DPD", kind=Carrier.Kind.TABLE_RATE)
    post = Carrier.objects.create(code="post", name="Royal Mail", kind=Carrier.Kind.MANUAL)
    return {
        "dpd-next": CarrierService.objects.create(carrier=dpd, code="next", name="Next day", transit_days=1),
        "dpd-eco": CarrierService.objects.create(carrier=dpd, code="eco", name="Economy", transit_days=3),
        "post": CarrierService.objects.create(carrier=post, code="tracked", name="Tracked 48"),
    }


def ready(floor, service=None, *, priority=0, age_hours=0, sku="PLATE"):
    placed = floor.place((sku, 1), priority=priority)
    fields = {"service": service}
    if age_hours:
        fields["created_at"] = timezone.now() - timedelta(hours=age_hours)
    Shipment.objects.filter(order=placed).update(**fields)
    return f"{placed.number}/1"


def test_the_queue_filters_by_carrier_service_priority_and_age_most_urgent_first(client_as, floor, services):
    client = client_as(roles.WAREHOUSE)
    old_eco = ready(floor, services["dpd-eco"], age_hours=50)
    new_next = ready(floor, services["dpd-next"], age_hours=1)
    urgent_post = ready(floor, services["post"], priority=2, age_hours=2)
    unchosen = ready(floor, None, age_hours=30)

    assert listed(client.get(queue_url(floor))) == [urgent_post, old_eco, unchosen, new_next]
    dpd = services["dpd-next"].carrier_id
    assert listed(client.get(queue_url(floor, carrier=dpd))) == [old_eco, new_next]
    assert listed(client.get(queue_url(floor, service=services["dpd-next"].pk))) == [new_next]
    assert listed(client.get(queue_url(floor, service="none"))) == [unchosen]
    assert listed(client.get(queue_url(floor, priority=2))) == [urgent_post]
    assert listed(client.get(queue_url(floor, age=24))) == [old_eco, unchosen]
    assert listed(client.get(queue_url(floor, age=48))) == [old_eco]


def test_the_queue_shows_each_stage_with_its_count(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    to_pick = ready(floor)
    picked = floor.place(("MUG", 1))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[picked.shipments.get().pk])
    on_list = ready(floor)
    open_list = pick_list_create(
        warehouse_id=floor.leeds.pk, shipment_ids=[Shipment.objects.get(order__number=on_list[:-2]).pk]
    )
    pick_list_confirm(pick_list_id=pick_list.pk, picks={line.pk: (line.quantity, "") for line in pick_list.lines.all()})

    response = client.get(queue_url(floor))

    assert listed(response) == [to_pick]
    assert response.context["page"].stage_counts == {"pick": 1, "pack": 1, "ship": 0}
    assert listed(client.get(queue_url(floor, stage="pack"))) == [f"{picked.number}/1"]
    assert listed(client.get(queue_url(floor, stage="all"))) == [to_pick, f"{picked.number}/1"]
    page = response.content.decode()
    assert open_list.number in page  # the open pick lists, beside the queue
    # The stage tabs and rows come back alone for htmx.
    partial = client.get(queue_url(floor, stage="pack"), **HTMX).content.decode()
    assert partial.lstrip().startswith('<div id="results"') and "<html" not in partial


def test_queue_pages_follow_each_other_and_cost_the_same_queries_whatever_their_size(client_as, floor):
    stock_receive(warehouse_id=floor.leeds.pk, lines=[StockLine(floor.plate.pk, 10, floor.bins["B-01"].pk)])
    names = [ready(floor, age_hours=hours) for hours in range(12, 0, -1)]
    warehouse = floor.leeds.pk

    first = selectors.fulfilment_queue(warehouse_id=warehouse, limit=5)
    second = selectors.fulfilment_queue(warehouse_id=warehouse, after=first.next_after, limit=5)
    third = selectors.fulfilment_queue(warehouse_id=warehouse, after=second.next_after, limit=5)

    shown = [f"{s.order.number}/1" for page in (first, second, third) for s in page.shipments]
    assert shown == names and third.next_after is None
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            page = selectors.fulfilment_queue(warehouse_id=warehouse, after=first.next_after, limit=size)
            [line.order_line.sku for shipment in page.shipments for line in shipment.queue_lines]
        counts.append(len(queries))
    assert counts[0] == counts[1] == 4


# --- pick lists ---------------------------------------------------------------------------------------


def test_ticked_shipments_go_on_a_new_pick_list(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    first, second = floor.place(("MUG", 2)), floor.place(("PLATE", 1))
    ids = [first.shipments.get().pk, second.shipments.get().pk]

    response = client.post(
        reverse("orders:fulfilment:pick-list-create", args=[floor.leeds.code]), {"shipment": ids}, follow=True
    )

    pick_list = PickList.objects.get()
    assert response.redirect_chain[-1][0] == reverse("orders:fulfilment:pick-list-detail", args=[pick_list.number])
    assert set(pick_list.shipments.values_list("pk", flat=True)) == set(ids)
    page = response.content.decode()
    assert f"Pick list {pick_list.number} is ready to pick." in page
    assert page.index("A-01") < page.index("B-01")


def test_batching_takes_the_next_shipments_and_says_when_there_are_none(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    floor.place(("MUG", 1))
    urgent = floor.place(("PLATE", 1), priority=2)
    url = reverse("orders:fulfilment:pick-list-create", args=[floor.leeds.code])

    client.post(url, {"batch": "1", "limit": "1"})
    assert list(PickList.objects.get().shipments.values_list("order_id", flat=True)) == [urgent.pk]
    client.post(url, {"batch": "1", "limit": "5"})
    response = client.post(url, {"batch": "1", "limit": "5"}, follow=True)

    assert PickList.objects.count() == 2
    assert "No shipment is waiting to be picked." in response.content.decode()
    empty = client.post(url, {}, follow=True)
    assert "Tick the shipments to put on the pick list" in empty.content.decode()


def test_looking_is_not_changing(client, floor):
    # Someone who may open the Fulfilment section but not change shipments or pack parcels.
    looker = UserFactory(role=roles.ACCOUNTANT)
    looker.user_permissions.add(Permission.objects.get(codename="access_fulfilment"))
    client.force_login(looker)
    shipment = floor.place(("MUG", 1)).shipments.get()

    assert client.get(queue_url(floor)).status_code == 200
    create = reverse("orders:fulfilment:pick-list-create", args=[floor.leeds.code])
    assert client.post(create, {"shipment": [shipment.pk]}).status_code == 403
    scan = reverse("orders:fulfilment:pack-scan", args=[shipment.pk])
    assert client.post(scan, {"code": "MUG"}).status_code == 403
    assert not PickList.objects.exists()


def test_a_short_pick_without_a_reason_is_shown_again_and_with_one_goes_back_to_the_queue(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    placed = floor.place(("MUG", 2))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[placed.shipments.get().pk])
    line = pick_list.lines.get()
    url = reverse("orders:fulfilment:pick-list-confirm", args=[pick_list.number])

    refused = client.post(url, {f"picked-{line.pk}": "1", f"reason-{line.pk}": ""})
    assert refused.status_code == 400
    assert "Say why fewer were picked." in refused.content.decode()
    assert PickList.objects.get().status == PickList.Status.OPEN

    response = client.post(url, {f"picked-{line.pk}": "1", f"reason-{line.pk}": "only one in the bin"}, follow=True)

    page = response.content.decode()
    assert f"Back in the queue, short: {placed.number}/1." in page
    assert ShipmentLine.objects.get().picked_quantity == 1
    queue = client.get(queue_url(floor)).content.decode()
    assert f"Short pick on {pick_list.number}: MUG 1 of 2 (only one in the bin)" in queue


def test_the_printable_pick_list_walks_the_bins(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    placed = floor.place(("MUG", 5), ("PLATE", 1))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[placed.shipments.get().pk])

    page = client.get(reverse("orders:fulfilment:pick-list-print", args=[pick_list.number])).content.decode()

    assert 'class="print-sheet"' in page
    assert page.index("A-01") < page.index("B-01") < page.index("C-01")
    assert f"{placed.number}/1" in page


# --- the pack station ---------------------------------------------------------------------------------


def test_scanning_an_order_or_a_pick_list_opens_what_there_is_to_pack(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    first, second = floor.place(("MUG", 1)), floor.place(("PLATE", 1))
    pick_list = pick_list_create(
        warehouse_id=floor.leeds.pk, shipment_ids=[first.shipments.get().pk, second.shipments.get().pk]
    )
    start = reverse("orders:fulfilment:pack")

    by_order = client.get(start, {"code": first.number.lower()})
    assert by_order.status_code == 302
    assert by_order["Location"] == reverse("orders:fulfilment:pack-shipment", args=[first.shipments.get().pk])
    by_list = client.get(start, {"code": pick_list.number}).content.decode()
    assert f"{first.number}/1" in by_list and f"{second.number}/1" in by_list
    nothing = client.get(start, {"code": "XYZ"}).content.decode()
    assert "Nothing found for “XYZ”" in nothing


def test_the_station_refuses_a_wrong_item_loudly_and_packs_what_was_scanned(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    shipment = floor.place(("MUG", 2), ("PLATE", 1)).shipments.get()
    scan_url = reverse("orders:fulfilment:pack-scan", args=[shipment.pk])
    pack_url = reverse("orders:fulfilment:pack-submit", args=[shipment.pk])

    page = client.get(reverse("orders:fulfilment:pack-shipment", args=[shipment.pk])).content.decode()
    assert 'aria-live="assertive"' in page and 'id="scan"' in page and "autofocus" in page

    wrong = client.post(scan_url, {"code": "5012345678924"}, **HTMX).content.decode()
    assert "Refused:" in wrong and "Wrong item: COASTER Cork coaster is not in this shipment." in wrong
    assert 'hx-swap-oob="innerHTML"' in wrong and "flash-bad" in wrong and "pack-station refused" in wrong

    early = client.post(pack_url, {}, **HTMX).content.decode()
    assert "Not packed: still to scan MUG 2 more, PLATE 1 more." in early

    for code in ("5012345678900", "MUG"):
        assert "flash-ok" in client.post(scan_url, {"code": code}, **HTMX).content.decode()
    too_many = client.post(scan_url, {"code": "MUG"}, **HTMX).content.decode()
    assert "Too many MUG: all 2 are packed already." in too_many
    client.post(scan_url, {"op": "new-parcel"}, **HTMX)
    client.post(scan_url, {"code": "5012345678917", "weight-0": "720", "weight-default-0": "700"}, **HTMX)

    response = client.post(pack_url, {"weight-0": "720", "weight-default-0": "700", "package-1": "large_box"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("orders:fulfilment:pack-shipment", args=[shipment.pk])
    assert list(Parcel.objects.order_by("position").values_list("weight_grams", "package_type")) == [
        (720, "medium_box"),
        (600, "large_box"),
    ]
    done = client.get(response["HX-Redirect"]).content.decode()
    assert "Parcels" in done and "720 g" in done


def test_the_queue_hands_the_ticked_shipments_to_the_label_batch(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    shipment = floor.place(("MUG", 1)).shipments.get()

    page = client.get(queue_url(floor, stage="all")).content.decode()

    assert f'formaction="{reverse("orders:labels-batch")}"' in page
    assert f'name="shipment" value="{shipment.pk}"' in page


# --- after packing: quotes, service, labels, tracking, shipping ---------------------------------------


@pytest.fixture
def table_rates(floor):
    dpd = Carrier.objects.create(code="dpd", name="DPD", kind=Carrier.Kind.TABLE_RATE, tracking_prefix="DP")
    zone = ShippingZone.objects.create(carrier=dpd, name="Great Britain", countries=["GB"])
    services = {}
    for code, name, days, price in (("next", "Next day", 1, "6.40"), ("eco", "Economy", 3, "3.90")):
        services[code] = CarrierService.objects.create(carrier=dpd, code=code, name=name, transit_days=days)
        RateBand.objects.create(service=services[code], zone=zone, max_weight_grams=5000, price_amount=D(price))
    return services


def packed(floor, *lines):
    shipment = floor.place(*lines).shipments.get()
    by_sku = {line.sku: line for line in pack_selectors.pack_lines(shipment_id=shipment.pk)}
    parcels_pack(
        shipment_id=shipment.pk, parcels=[ParcelInput(items={line.id: line.quantity for line in by_sku.values()})]
    )
    return shipment


def test_a_packed_shipment_shows_its_quotes_and_asks_for_its_labels(client_as, floor, table_rates):
    client = client_as(roles.WAREHOUSE)
    shipment = packed(floor, ("MUG", 1))
    url = reverse("orders:fulfilment:pack-shipment", args=[shipment.pk])

    page = client.get(url).content.decode()
    assert "DPD Economy" in page and "cheapest in time" in page and "DPD Next day" in page

    client.post(reverse("orders:fulfilment:pack-service", args=[shipment.pk]), {"service": table_rates["next"].pk})
    shipment.refresh_from_db()
    assert shipment.service == table_rates["next"]
    response = client.post(reverse("orders:fulfilment:pack-labels", args=[shipment.pk]), follow=True)

    assert response.redirect_chain[-1][0] == url
    assert Parcel.objects.get().label_status == Parcel.LabelStatus.PENDING
    page = response.content.decode()
    assert "Labels requested" in page
    # While a worker makes the label, the parcels ask for themselves again.
    assert 'hx-trigger="every 2s"' in page
    partial = client.get(reverse("orders:fulfilment:pack-parcels", args=[shipment.pk])).content.decode()
    assert partial.lstrip().startswith('<section id="shipping"')


def test_a_manual_carriers_tracking_number_is_typed_and_the_parcel_ships(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    post = Carrier.objects.create(code="post", name="Royal Mail", kind=Carrier.Kind.MANUAL)
    service = CarrierService.objects.create(carrier=post, code="tracked", name="Tracked 48")
    shipment = packed(floor, ("PLATE", 2))
    client.post(reverse("orders:fulfilment:pack-service", args=[shipment.pk]), {"service": service.pk})
    parcel = Parcel.objects.get()

    page = client.get(reverse("orders:fulfilment:pack-shipment", args=[shipment.pk])).content.decode()
    assert "Royal Mail tracking number" in page
    client.post(
        reverse("orders:fulfilment:pack-tracking", args=[shipment.pk]),
        {"parcel": parcel.pk, "tracking_number": "RM 123"},
    )
    response = client.post(reverse("orders:fulfilment:pack-ship", args=[shipment.pk]), follow=True)

    assert "Shipped: the customer is e-mailed the tracking numbers." in response.content.decode()
    shipment.refresh_from_db()
    parcel.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == ("shipped", "RM123")
    assert parcel.status == Parcel.Status.SHIPPED
    assert shipment.order.status == "shipped"
    # Its plates left from B-01 when it shipped (it was packed without a pick list).
    assert floor.in_bins(floor.plate) == {"B-01": 4}


def test_a_shipment_on_hold_is_not_packed(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    placed = floor.place(("MUG", 1))
    order_hold(order_id=placed.pk, reason=HoldReason.ADDRESS_CHECK)
    shipment = placed.shipments.get()

    page = client.get(reverse("orders:fulfilment:pack-shipment", args=[shipment.pk])).content.decode()
    response = client.post(reverse("orders:fulfilment:pack-scan", args=[shipment.pk]), {"code": "MUG"})

    assert f"Nothing to pack: shipment {placed.number}/1 is pending (its order is on hold)." in page
    assert response.status_code == 302 and not Parcel.objects.exists()


def test_the_warehouses_pick_lists_are_listed_newest_first(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    first = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[floor.place(("MUG", 1)).shipments.get().pk])
    second = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[floor.place(("MUG", 1)).shipments.get().pk])

    page = client.get(reverse("orders:fulfilment:pick-list-list", args=[floor.leeds.code])).content.decode()

    assert page.index(second.number) < page.index(first.number)
    detail = client.get(reverse("orders:fulfilment:pick-list-detail", args=[first.number])).content.decode()
    assert reverse("orders:pick-list-pdf", args=[first.number]) in detail


def test_the_station_says_what_picking_left_to_do(client_as, floor):
    client = client_as(roles.WAREHOUSE)
    shipment = floor.place(("MUG", 2)).shipments.get()
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment.pk])
    url = reverse("orders:fulfilment:pack-shipment", args=[shipment.pk])

    assert f"It is on pick list {pick_list.number}, not confirmed yet" in client.get(url).content.decode()
    pick_list_confirm(pick_list_id=pick_list.pk, picks={line.pk: (1, "one broken") for line in pick_list.lines.all()})

    assert f"Not picked in full on {pick_list.number}: fetch 1 x MUG from the bins" in client.get(url).content.decode()
