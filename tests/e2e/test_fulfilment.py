"""In a real headless Chromium, with a real Celery worker making the label: a warehouse worker picks
an order from the queue, packs it by scanning (a wrong item is refused loudly), has its label made
and ships it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import roles
from orders.models import Carrier, CarrierService, Order, Parcel, RateBand, ShippingZone
from orders.states import OrderStatus
from tests.orders.fulfilment_support import floor_fixture  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def carrier(floor):
    dpd = Carrier.objects.create(code="dpd", name="DPD", kind=Carrier.Kind.TABLE_RATE, tracking_prefix="DP")
    zone = ShippingZone.objects.create(carrier=dpd, name="Great Britain", countries=["GB"])
    service = CarrierService.objects.create(carrier=dpd, code="next", name="Next day", transit_days=1)
    RateBand.objects.create(service=service, zone=zone, max_weight_grams=5000, price_amount=Decimal("6.40"))
    return service


def scan(page, code):
    """What a barcode scanner does: type the code into the focused field, then Enter."""
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.locator(".htmx-request")).to_have_count(0)


def test_pick_pack_by_scanning_label_and_ship(
    page, live_server, staff_user, floor, carrier, shared_media, celery_worker, console_errors, sign_in
):
    staff_user(roles.WAREHOUSE, username="wendy")
    placed = floor.place(("MUG", 2), ("PLATE", 1))
    sign_in("wendy", "/orders/fulfilment/", lands_on="/orders/fulfilment/queue/LDS/")

    # The queue of the warehouse: tick the order's shipment, make a pick list.
    expect(page.locator("table.queue")).to_contain_text(f"{placed.number}/1")
    page.get_by_label(f"Choose {placed.number}/1").check()
    page.get_by_role("button", name="Create pick list").click()

    # The pick list walks the bins: the four mugs of A-01 before the plate of B-01. All picked.
    expect(page.get_by_role("heading", name="Pick list PL-")).to_be_visible()
    rows = page.locator("table.pick-lines tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("A-01")
    expect(rows.nth(1)).to_contain_text("B-01")
    page.get_by_role("button", name="Confirm the pick").click()
    expect(page.get_by_text("is picked: its shipments can be packed.")).to_be_visible()
    assert floor.in_bins(floor.mug) == {"A-01": 2, "C-01": 3}

    # The pack station opens the list's one shipment; the cursor waits in the scan field.
    page.get_by_role("link", name="Pack its shipments").click()
    expect(page.get_by_role("heading", name=f"Pack {placed.number}/1")).to_be_visible()

    # A coaster is not in this order: refused, loudly, and said out loud.
    scan(page, "5012345678924")
    status = page.locator("#scan-status")
    expect(status).to_contain_text("Refused: Wrong item: COASTER Cork coaster is not in this shipment.")
    expect(status.locator(".flash-bad")).to_be_visible()
    expect(page.locator("#station")).to_have_class("card pack-station refused")
    expect(status).to_have_attribute("aria-live", "assertive")

    scan(page, "5012345678900")
    expect(status).to_contain_text("MUG: 1 of 2")
    page.get_by_role("button", name="Take one MUG out of parcel 1").click()
    expect(status).to_contain_text("One MUG taken out of parcel 1: 0 of 2")

    # Three scans in a burst, faster than the station answers: each is checked, in turn.
    expect(page.locator("#scan")).to_be_focused()
    for code in ("mug", "5012345678900", "5012345678917"):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    expect(status).to_contain_text("PLATE: 1 of 1")
    expect(page.locator(".htmx-request")).to_have_count(0)
    mug_line = placed.shipments.get().lines.get(order_line__sku="MUG")
    expect(page.locator(f"#line-{mug_line.pk}")).to_contain_text("2 of 2")
    # One mug too many is refused as well.
    scan(page, "5012345678900")
    expect(status).to_contain_text("Refused: Too many MUG: all 2 are packed already.")
    expect(page.locator(".pack-actions")).to_contain_text("Every unit is scanned.")
    expect(page.get_by_label("Weight (g)")).to_have_value("1300")
    page.get_by_role("button", name="Pack 1 parcel").click()

    # Packed: the rates, a label made by the worker, then the parcel leaves with the carrier.
    expect(page.locator("#shipping")).to_contain_text("1300 g")
    expect(page.locator("table.quotes")).to_contain_text("DPD Next day")
    page.get_by_role("button", name="Create label").click()
    expect(page.get_by_text("Labels requested")).to_be_visible()
    expect(page.locator(".label-status")).to_contain_text("Label ready", timeout=60_000)
    page.get_by_role("button", name="Hand over to DPD: shipped").click()
    expect(page.get_by_text("Shipped: the customer is e-mailed the tracking numbers.")).to_be_visible()

    placed.refresh_from_db()
    parcel = Parcel.objects.get()
    assert placed.status == OrderStatus.SHIPPED
    assert parcel.status == Parcel.Status.SHIPPED and parcel.tracking_number.startswith("DP")
    assert Order.objects.get().shipments.get().tracking_number == parcel.tracking_number
    assert floor.in_bins(floor.mug) == {"A-01": 2, "C-01": 3}
    assert console_errors == []
