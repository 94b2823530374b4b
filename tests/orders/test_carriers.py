"""Carriers behind one adapter interface, table rates, rate shopping and the choice of a service."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from backoffice import roles
from orders.exceptions import OrderError
from orders.models import Carrier, CarrierService, OrderEvent, RateBand, Shipment
from orders.services.labels import shipment_service_set
from orders.services.placement import ShipmentInput, order_place
from orders.shipping.calendar import add_working_days, next_working_day
from orders.shipping.carriers import ADAPTERS, Address, CarrierError, ParcelSpec, adapter_for
from orders.shipping.carriers.manual import ManualCarrier
from orders.shipping.carriers.pickup import PickupCarrier
from orders.shipping.carriers.table_rate import TableRateCarrier, luhn_digit
from orders.shipping.rates import Quote, rate_choose, rate_quotes
from tests.orders.factories import order
from tests.orders.shipping_support import parcel, ready_order, table_rate_carriers

pytestmark = pytest.mark.django_db

FRIDAY = date(2026, 12, 4)
PARIS = {"name": "Luc Martin", "line1": "3 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}


def quotes_of(shipment, parcels=None, on=FRIDAY):
    return [
        (q.carrier, q.service, q.price_amount, q.transit_days, q.delivery_date)
        for q in rate_quotes(shipment_id=shipment.pk, parcels=parcels, on=on)
    ]


def shipment_to(address: dict | None = None):
    placed = ready_order(("MUG", 1))
    shipment = placed.shipments.get()
    if address:
        Shipment.objects.filter(pk=shipment.pk).update(ship_to=address)
        shipment.refresh_from_db()
    return shipment


# --- the adapter registry -------------------------------------------------------------------------


def test_each_kind_of_carrier_has_its_adapter(carriers):
    assert isinstance(adapter_for(carriers["swift"]), TableRateCarrier)
    assert isinstance(adapter_for(carriers["courier"]), ManualCarrier)
    assert isinstance(adapter_for(carriers["pickup"]), PickupCarrier)
    assert set(ADAPTERS) == set(Carrier.Kind.values)
    assert not adapter_for(carriers["courier"]).creates_labels
    with pytest.raises(CarrierError, match="no adapter"):
        adapter_for(Carrier(name="Mystery", kind="carrier-pigeon"))


# --- table rates ----------------------------------------------------------------------------------


def test_table_rates_price_each_parcel_by_its_weight_band_and_destination_zone(carriers):
    shipment = shipment_to()

    assert quotes_of(shipment, [800]) == [
        ("Budget", "Economy", D("2.99"), 5, date(2026, 12, 11)),
        ("Swift", "Standard", D("3.95"), 3, date(2026, 12, 9)),
        ("Swift", "Express", D("7.80"), 1, date(2026, 12, 7)),
    ]
    # A band runs up to and including its limit; a gram more is the next band.
    assert quotes_of(shipment, [1000])[1][2] == D("3.95")
    assert quotes_of(shipment, [1001])[1:] == [
        ("Swift", "Standard", D("6.50"), 3, date(2026, 12, 9)),
        ("Swift", "Express", D("12.40"), 1, date(2026, 12, 7)),
    ]
    # Several parcels: the sum of each parcel's band, to the cent.
    assert quotes_of(shipment, [800, 4000, 4999]) == [
        ("Budget", "Economy", D("8.97"), 5, date(2026, 12, 11)),
        ("Swift", "Standard", D("16.95"), 3, date(2026, 12, 9)),
        ("Swift", "Express", D("32.60"), 1, date(2026, 12, 7)),
    ]
    # Too heavy for a service's bands: that service is not offered.
    assert quotes_of(shipment, [800, 12000]) == [("Swift", "Standard", D("15.15"), 3, date(2026, 12, 9))]
    assert quotes_of(shipment, [20001]) == []


def test_the_destination_picks_the_zone_the_first_listing_its_country_winning(carriers):
    paris = shipment_to(PARIS)
    # Europe's bands carry their own transit days (5 and 6), over the service's 3.
    assert quotes_of(paris, [1500]) == [("Swift", "Standard", D("9.99"), 5, date(2026, 12, 11))]
    assert quotes_of(paris, [1500, 2500]) == [("Swift", "Standard", D("28.48"), 6, date(2026, 12, 14))]
    # The US is only in the catch-all zone; GB is in it too, but UK (position 0) comes first.
    new_york = shipment_to({**PARIS, "city": "New York", "postal_code": "10001", "country": "us"})
    assert quotes_of(new_york, [1500]) == [("Swift", "Standard", D("99.00"), 10, date(2026, 12, 18))]
    assert quotes_of(shipment_to({**PARIS, "country": "JP"}), [1500]) == []


def test_inactive_carriers_and_services_and_manual_carriers_are_not_quoted(carriers):
    shipment = shipment_to()
    CarrierService.objects.filter(pk=carriers["express"].pk).update(is_active=False)
    Carrier.objects.filter(pk=carriers["budget"].pk).update(is_active=False)

    assert quotes_of(shipment, [800]) == [("Swift", "Standard", D("3.95"), 3, date(2026, 12, 9))]


def test_the_default_parcels_are_those_packed_or_else_one_of_the_units_weight(carriers):
    shipment = ready_order(("MUG", 3)).shipments.get()  # 3 x 0.5 kg
    assert quotes_of(shipment)[1][:3] == ("Swift", "Standard", D("6.50"))
    parcel(shipment, 700, position=1)
    parcel(shipment, 800, position=2)
    assert quotes_of(shipment)[1][:3] == ("Swift", "Standard", D("7.90"))


def test_a_pick_up_is_offered_the_pick_up_services_only(carriers, shop):
    placed = order_place(data=order(("MUG", 1), shipments=(ShipmentInput(pickup_warehouse="BRS"),)))
    assert quotes_of(placed.shipments.get(), [800]) == [("Store pick-up", "Collect", D("0.00"), 0, FRIDAY)]


def test_delivery_dates_count_working_days(settings):
    saturday = date(2026, 12, 5)
    assert next_working_day(saturday) == date(2026, 12, 7)
    assert add_working_days(saturday, 0) == date(2026, 12, 7)
    assert add_working_days(saturday, 1) == date(2026, 12, 8)
    assert add_working_days(FRIDAY, 1) == date(2026, 12, 7)
    settings.SHIPPING_HOLIDAYS = frozenset({date(2026, 12, 7)})
    assert add_working_days(FRIDAY, 1) == date(2026, 12, 8)


def test_a_shipment_handed_over_at_the_weekend_counts_from_monday(carriers):
    shipment = shipment_to()
    saturday = quotes_of(shipment, [800], on=date(2026, 12, 5))
    assert [q[4] for q in saturday] == [date(2026, 12, 14), date(2026, 12, 10), date(2026, 12, 8)]


def test_table_rate_tracking_numbers_are_unique_with_the_carriers_prefix_and_a_check_digit(carriers):
    swift, budget = adapter_for(carriers["swift"]), adapter_for(carriers["budget"])
    numbers = [swift.issue_tracking_number(), budget.issue_tracking_number(), swift.issue_tracking_number()]
    assert [n[:2] for n in numbers] == ["SW", "BG", "SW"]
    assert len(set(numbers)) == 3
    for number in numbers:
        digits = number[2:]
        assert len(digits) == 10 and digits.isdigit()
        assert luhn_digit(digits[:-1]) == digits[-1]
    assert luhn_digit("7992739871") == "3"  # the textbook example


def test_table_rate_adapter_quotes_directly(carriers):
    adapter = adapter_for(carriers["swift"])
    services = [carriers["standard"], carriers["express"]]
    home = Address(name="Ann", line1="1 High St", city="Leeds", postal_code="LS1", country="gb")
    quotes = adapter.quote(services=services, parcels=[ParcelSpec(2000)], destination=home)
    assert [(q.service_id, q.price_amount, q.transit_days) for q in quotes] == [
        (carriers["standard"].pk, D("6.50"), 3),
        (carriers["express"].pk, D("12.40"), 1),
    ]


# --- rate shopping --------------------------------------------------------------------------------


def quote(price, delivered, service_id=1):
    return Quote(service_id, "C", f"S{service_id}", D(price), 0, delivered, True)


def test_rate_shopping_picks_the_cheapest_service_that_arrives_by_the_promised_date(carriers):
    shipment = shipment_to()
    quotes = rate_quotes(shipment_id=shipment.pk, parcels=[800], on=FRIDAY)

    assert rate_choose(quotes, date(2026, 12, 9)).service_id == carriers["standard"].pk
    assert rate_choose(quotes, date(2026, 12, 8)).service_id == carriers["express"].pk
    assert rate_choose(quotes, date(2026, 12, 11)).service_id == carriers["economy"].pk
    assert rate_choose(quotes, None).service_id == carriers["economy"].pk


def test_when_no_service_arrives_in_time_the_fastest_is_chosen(carriers):
    shipment = shipment_to()
    Shipment.objects.filter(pk=shipment.pk).update(promised_date=FRIDAY)
    quotes = rate_quotes(shipment_id=shipment.pk, parcels=[800], on=FRIDAY)

    assert not any(q.meets_promise for q in quotes)
    assert rate_choose(quotes, FRIDAY).service_id == carriers["express"].pk
    # Of equally fast ones, the cheaper.
    monday = date(2026, 12, 7)
    tied = [quote("9.00", monday, 1), quote("5.00", date(2026, 12, 9), 2), quote("8.00", monday, 3)]
    assert rate_choose(tied, FRIDAY).service_id == 3
    assert rate_choose([], FRIDAY) is None


def test_quotes_say_whether_they_meet_the_shipments_promise(carriers):
    shipment = shipment_to()
    Shipment.objects.filter(pk=shipment.pk).update(promised_date=date(2026, 12, 9))
    quotes = rate_quotes(shipment_id=shipment.pk, parcels=[800], on=FRIDAY)
    assert [(q.service, q.meets_promise) for q in quotes] == [("Economy", False), ("Standard", True), ("Express", True)]


# --- choosing a service ---------------------------------------------------------------------------


def test_staff_may_choose_another_service_and_the_timeline_says_so(carriers, staff_user):
    shipment = shipment_to()
    clerk = staff_user()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["express"].pk, actor=clerk)
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["same_day"].pk, actor=clerk, reason="urgent")

    shipment.refresh_from_db()
    assert shipment.service == carriers["same_day"]
    event = OrderEvent.objects.filter(order=shipment.order, kind="shipment").last()
    assert (event.message, event.old_value, event.new_value, event.actor) == (
        "Shipment 1: Local courier Same day (urgent)",
        "Swift Express",
        "Local courier Same day",
        clerk,
    )


def test_a_service_is_refused_for_the_wrong_kind_of_shipment_or_once_labelled(carriers, shop):
    shipment = shipment_to()
    with pytest.raises(OrderError, match="is for pick-ups"):
        shipment_service_set(shipment_id=shipment.pk, service_id=carriers["collect"].pk)
    pickup = order_place(data=order(("MUG", 1), shipments=(ShipmentInput(pickup_warehouse="BRS"),))).shipments.get()
    with pytest.raises(OrderError, match="collected by the customer"):
        shipment_service_set(shipment_id=pickup.pk, service_id=carriers["standard"].pk)
    CarrierService.objects.filter(pk=carriers["express"].pk).update(is_active=False)
    with pytest.raises(OrderError, match="not in use"):
        shipment_service_set(shipment_id=shipment.pk, service_id=carriers["express"].pk)

    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["standard"].pk)
    parcel(shipment, 800, tracking_number="SW0000000018", label_status="created")
    with pytest.raises(OrderError, match="already has a label"):
        shipment_service_set(shipment_id=shipment.pk, service_id=carriers["economy"].pk)


# --- tracking payloads ----------------------------------------------------------------------------


def test_tracking_payloads_are_read_into_the_neutral_form(carriers):
    adapter = adapter_for(carriers["swift"])
    updates = adapter.parse_tracking(
        {
            "events": [
                {"event_id": "e1", "tracking_number": " SW1 ", "status": "In transit", "time": "2026-12-07T08:15:00Z",
                 "location": "Leeds hub"},
                {"event_id": "e2", "tracking_number": "SW1", "status": "out-for-delivery",
                 "time": "2026-12-08T07:00:00+01:00"},
                {"event_id": "e3", "tracking_number": "SW1", "status": "DELIVERED", "time": "2026-12-08T13:02:00Z",
                 "description": "Left with neighbour"},
            ]
        }
    )  # fmt: skip
    assert [(u.event_id, u.tracking_number, u.status, u.occurred_at, u.location) for u in updates] == [
        ("e1", "SW1", "in_transit", datetime(2026, 12, 7, 8, 15, tzinfo=UTC), "Leeds hub"),
        ("e2", "SW1", "out_for_delivery", datetime(2026, 12, 8, 6, 0, tzinfo=UTC), ""),
        ("e3", "SW1", "delivered", datetime(2026, 12, 8, 13, 2, tzinfo=UTC), ""),
    ]
    assert updates[2].description == "Left with neighbour"
    with pytest.raises(CarrierError, match="unknown status 'lost'"):
        adapter.parse_tracking({"event_id": "x", "tracking_number": "SW1", "status": "lost", "time": "2026-12-07T08Z"})
    with pytest.raises(CarrierError, match="lacks time"):
        adapter.parse_tracking({"event_id": "x", "tracking_number": "SW1", "status": "delivered"})
    assert adapter_for(carriers["pickup"]).parse_tracking({"events": []}) == []


def test_tracking_links_put_the_number_in_the_carriers_address(carriers):
    assert adapter_for(carriers["swift"]).tracking_link("SW123") == "https://track.swift.example/?n=SW123"
    assert adapter_for(carriers["budget"]).tracking_link("BG123") == ""


# --- managers set carriers up in the admin ----------------------------------------------------------


def formset(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def test_managers_set_up_a_carrier_its_services_zones_and_rate_bands_in_the_admin(client, staff_user, shop):
    client.force_login(staff_user(roles.MANAGER, is_staff=True))
    response = client.post(
        "/admin/orders/carrier/add/",
        {
            "code": "fast", "name": "Fast Parcels", "kind": "table_rate", "tracking_prefix": "fp ",
            "tracking_url": "https://fast.example/track/{tracking}", "is_active": "on",
            **formset("services", [{"code": "std", "name": "Standard", "transit_days": "2", "is_active": "on"}]),
            **formset("zones", [{"position": "0", "name": "Home", "countries": "gb, ie"}]),
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    fast = Carrier.objects.get(code="fast")
    assert (fast.tracking_prefix, list(fast.zones.values_list("countries", flat=True))) == ("FP", [["GB", "IE"]])
    service, zone = fast.services.get(), fast.zones.get()

    other_zone = table_rate_carriers()["swift"].zones.first()
    page = f"/admin/orders/carrierservice/{service.pk}/change/"
    assert client.get(page).status_code == 200
    band = {"max_weight_grams": "2000", "price_amount": "4.20", "transit_days": ""}
    refused = client.post(
        page,
        {"carrier": fast.pk, "code": "std", "name": "Standard", "transit_days": "2", "is_active": "on",
         **formset("rates", [{**band, "zone": other_zone.pk}])},
    )  # fmt: skip
    assert refused.status_code == 200 and not RateBand.objects.filter(service=service).exists()
    assert "Select a valid choice" in refused.content.decode()  # only this carrier's zones are offered
    saved = client.post(
        page,
        {"carrier": fast.pk, "code": "std", "name": "Standard", "transit_days": "2", "is_active": "on",
         **formset("rates", [{**band, "zone": zone.pk}])},
    )  # fmt: skip
    assert saved.status_code == 302
    assert list(RateBand.objects.filter(service=service).values_list("zone", "max_weight_grams", "price_amount")) == [
        (zone.pk, 2000, D("4.20"))
    ]
    assert client.get(f"/admin/orders/shippingzone/{zone.pk}/change/").status_code == 200
    assert client.get("/admin/orders/carrier/").status_code == 200
