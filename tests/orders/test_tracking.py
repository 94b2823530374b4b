"""Carriers' tracking events through POST /api/v1/tracking-events: parcels, shipments and orders move
to delivered, cash on delivery is collected, repeats change nothing, bad bodies store nothing."""

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from backoffice.api.schema import validate
from backoffice.api.tokens import api_token_create
from inventory.models import StockLevel, StockMovement
from orders.api.openapi import openapi_document
from orders.models import OrderEvent, Parcel, Payment, TrackingEvent
from orders.services.labels import (
    labels_request,
    parcel_label_create,
    parcel_tracking_set,
    shipment_dispatch,
    shipment_service_set,
)
from orders.services.lifecycle import order_hold
from orders.services.shipping import shipment_ship
from orders.states import OrderStatus, PaymentStatus, ShipmentStatus
from tests.concurrency import run_together
from tests.orders.shipping_support import parcel, ready_order

pytestmark = pytest.mark.django_db

URL = "/api/v1/tracking-events"
# Whole seconds: what goes out as ISO 8601 comes back equal.
START = timezone.now().replace(microsecond=0) - timedelta(days=3)


def at(hours: float):
    return START + timedelta(hours=hours)


@pytest.fixture
def secret(db):
    return api_token_create(name="Carrier hub", scopes=["tracking"])[1]


def scan(event_id, tracking_number, status, hours, **more) -> dict:
    event = {"event_id": event_id, "tracking_number": tracking_number, "status": status, "time": at(hours).isoformat()}
    return event | more


def post(client, secret, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def shipped(carriers, *lines, tracking="LC1001", parcels=1, **order_fields):
    """An order (cash on delivery unless told) whose one shipment left with the local courier, in
    `parcels` parcels tracked LC1001, LC1002..."""
    placed = ready_order(*(lines or (("MUG", 2),)), **order_fields)
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["same_day"].pk)
    number = int(tracking[2:])
    for position in range(1, parcels + 1):
        box = parcel(shipment, 500, position=position)
        parcel_tracking_set(parcel_id=box.pk, tracking_number=f"LC{number + position - 1}")
    shipment_dispatch(shipment_id=shipment.pk, at=at(0))
    return placed, shipment


def statuses(placed):
    placed.refresh_from_db()
    shipment = placed.shipments.get()
    return (
        [p.status for p in shipment.parcels.order_by("position")],
        shipment.status,
        placed.status,
        placed.payment_status,
    )


def timeline(placed) -> list[str]:
    return list(placed.events.filter(kind="tracking").values_list("message", flat=True))


def conforms(body, schema_name) -> dict:
    document = openapi_document()
    return validate(body, document["components"]["schemas"][schema_name], document=document)


def stored() -> list[int]:
    return [model.objects.count() for model in (TrackingEvent, OrderEvent, Payment, StockMovement, Parcel)]


# --- the journey ------------------------------------------------------------------------------------


def test_scans_take_a_paid_order_to_delivered_and_completed(carriers, client, secret):
    placed, shipment = shipped(carriers, ("MUG", 1), payment_method="prepaid", paid_reference="card-7731")
    assert statuses(placed) == (["shipped"], "shipped", "shipped", "paid")

    response = post(client, secret, scan("E1", "LC1001", "in_transit", 2, location="Leeds hub"))

    assert response.status_code == 201, response.content
    assert response.json() == {
        "events": [
            {
                "event_id": "E1",
                "tracking_number": "LC1001",
                "result": "created",
                "error": None,
                "message": None,
                "parcel": {"position": 1, "status": "in_transit"},
                "shipment": {"position": 1, "status": "shipped"},
                "order": {"number": placed.number, "status": "shipped", "payment_status": "paid"},
            }
        ]
    }
    assert conforms(response.json(), "TrackingEventsResult") == {}
    assert timeline(placed) == []  # in-transit scans stay off the timeline

    assert post(client, secret, scan("E2", "LC1001", "Out for delivery", 20, location="Leeds")).status_code == 201
    assert statuses(placed) == (["out_for_delivery"], "shipped", "shipped", "paid")
    assert timeline(placed) == ["Shipment 1, parcel 1 (LC1001): out for delivery at Leeds"]

    response = post(client, secret, scan("E3", "LC1001", "delivered", 23, description="Left with neighbour"))

    assert response.status_code == 201
    assert response.json()["events"][0]["order"] == {
        "number": placed.number,
        "status": "completed",
        "payment_status": "paid",
    }
    assert statuses(placed) == (["delivered"], "delivered", "completed", "paid")
    shipment.refresh_from_db()
    assert shipment.delivered_at == at(23)
    assert shipment.parcels.get().delivered_at == at(23)
    assert not placed.payments.filter(kind=Payment.Kind.COD_COLLECTED).exists()


def test_cash_on_delivery_is_collected_by_the_carrier_to_the_cent_awaiting_remittance(carriers, client, secret):
    placed, _ = shipped(carriers, ("MUG", 2))  # 2 x 12.00 + 4.95 shipping, tax included

    response = post(client, secret, scan("D1", "LC1001", "delivered", 5))

    assert response.status_code == 201
    assert response.json()["events"][0]["order"]["payment_status"] == "collected"
    assert statuses(placed) == (["delivered"], "delivered", "delivered", PaymentStatus.COLLECTED)
    assert list(placed.payments.values_list("kind", "amount")) == [(Payment.Kind.COD_COLLECTED, D("28.95"))]
    assert "28.95 collected by Local courier, awaiting remittance" in placed.events.values_list("message", flat=True)


def test_a_two_parcel_shipment_is_delivered_only_when_both_parcels_are(carriers, client, secret):
    placed, shipment = shipped(carriers, ("MUG", 2), parcels=2)

    post(client, secret, scan("A1", "LC1001", "delivered", 5))

    assert statuses(placed) == (["delivered", "shipped"], "shipped", "shipped", "unpaid")
    assert not placed.payments.exists()
    assert timeline(placed) == ["Shipment 1, parcel 1 (LC1001): delivered (1 of 2 parcels)"]

    response = post(
        client, secret, {"events": [scan("B1", "LC1002", "in_transit", 4), scan("B2", "LC1002", "delivered", 7)]}
    )

    assert response.status_code == 201
    assert [e["shipment"]["status"] for e in response.json()["events"]] == ["shipped", "delivered"]
    assert statuses(placed) == (["delivered", "delivered"], "delivered", "delivered", "collected")
    shipment.refresh_from_db()
    assert shipment.delivered_at == at(7)
    assert placed.payments.get().amount == D("28.95")


# --- repeats and late events ------------------------------------------------------------------------


def test_a_repeated_event_changes_nothing_and_is_answered_200(carriers, client, secret):
    placed, _ = shipped(carriers)
    first = post(client, secret, scan("R1", "LC1001", "delivered", 5, location="Leeds"))
    before = stored()

    again = post(client, secret, scan("R1", "LC1001", "delivered", 5, location="Leeds"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["events"][0] | {"result": "created"} == first.json()["events"][0]
    assert again.json()["events"][0]["result"] == "duplicate"
    assert stored() == before
    assert placed.payments.count() == 1

    batch = post(client, secret, {"events": [scan("R1", "LC1001", "delivered", 5, location="Leeds")]})
    assert batch.status_code == 200
    assert stored() == before


def test_two_carriers_may_number_their_events_alike(carriers, client, secret):
    # Each carrier counts its own events: event "1" of one parcel is not event "1" of another.
    first, _ = shipped(carriers, tracking="LC1001")
    second, _ = shipped(carriers, ("PLATE", 1), tracking="LC2001")

    answers = [
        post(client, secret, scan("1", "LC1001", "delivered", 5)),
        post(client, secret, scan("1", "LC2001", "out_for_delivery", 4)),
    ]

    assert [a.status_code for a in answers] == [201, 201]
    assert statuses(first)[:3] == (["delivered"], "delivered", "delivered")
    assert statuses(second)[:3] == (["out_for_delivery"], "shipped", "shipped")


def test_the_same_event_id_with_other_content_is_a_409(carriers, client, secret):
    placed, _ = shipped(carriers)
    post(client, secret, scan("C1", "LC1001", "in_transit", 2))
    before = stored()

    response = post(client, secret, scan("C1", "LC1001", "delivered", 5))

    assert response.status_code == 409
    assert response.json()["error"] == "event_id_conflict"
    assert response.json()["event_id"] == "C1"
    assert conforms(response.json(), "TrackingRefusal") == {}
    assert stored() == before
    assert statuses(placed)[0] == ["in_transit"]

    batch = post(
        client, secret, {"events": [scan("C1", "LC1001", "exception", 2), scan("C2", "LC1001", "delivered", 5)]}
    )
    assert batch.status_code == 201
    assert [(e["result"], e["error"]) for e in batch.json()["events"]] == [
        ("refused", "event_id_conflict"),
        ("created", None),
    ]
    assert statuses(placed)[:3] == (["delivered"], "delivered", "delivered")


def test_an_older_event_arriving_late_is_kept_but_does_not_move_the_status_back(carriers, client, secret):
    placed, _ = shipped(carriers, parcels=2)

    post(client, secret, scan("L2", "LC1001", "out_for_delivery", 20))
    post(client, secret, scan("L1", "LC1001", "exception", 10, description="Address not found"))
    assert statuses(placed)[0] == ["out_for_delivery", "shipped"]
    assert timeline(placed) == ["Shipment 1, parcel 1 (LC1001): out for delivery"]  # a stale problem is no news

    post(client, secret, scan("L3", "LC1001", "delivered", 22))
    post(client, secret, scan("L4", "LC1001", "in_transit", 30))  # delivered is final
    post(client, secret, scan("L5", "LC1001", "exception", 31))
    assert statuses(placed)[0] == ["delivered", "shipped"]
    assert TrackingEvent.objects.filter(parcel__tracking_number="LC1001").count() == 5

    post(client, secret, scan("L6", "LC1001", "returned_to_sender", 40, location="Leeds depot"))
    assert statuses(placed)[0] == ["returned_to_sender", "shipped"]
    assert timeline(placed)[-1] == (
        "Shipment 1, parcel 1 (LC1001): returned to sender at Leeds depot "
        "(after it was reported delivered: check the delivery)"
    )
    post(client, secret, scan("L7", "LC1001", "delivered", 50))  # a return to sender is final
    assert statuses(placed)[0] == ["returned_to_sender", "shipped"]


def test_a_delivery_problem_shows_on_the_order_timeline_with_place_and_reason(carriers, client, secret):
    placed, _ = shipped(carriers)

    response = post(
        client, secret, scan("X1", "LC1001", "failed_attempt", 6, location="Leeds LS1", description="No one home")
    )

    assert response.status_code == 201
    assert statuses(placed)[:3] == (["exception"], "shipped", "shipped")
    note = placed.events.get(kind="tracking")
    assert note.message == "Shipment 1, parcel 1 (LC1001): delivery problem at Leeds LS1: No one home"
    assert note.new_value["event_id"] == "X1"

    post(client, secret, scan("X2", "LC1001", "exception", 30, description="No one home again"))
    assert len(timeline(placed)) == 2  # each new problem is news


def test_the_order_page_shows_the_delivery_problem_in_words_and_the_parcel_where_it_is(
    carriers, client, secret, client_as
):
    placed, _ = shipped(carriers)
    post(client, secret, scan("P1", "LC1001", "exception", 6, location="Leeds LS1", description="No one home"))

    page = client_as("Clerk").get(f"/orders/{placed.number}/").content.decode()

    assert "delivery problem at Leeds LS1: No one home" in page
    assert "event_id" not in page  # the event's record is for the program, not the timeline
    assert "Delivery problem" in page  # the parcel's status beside its tracking number
    assert "Waiting" not in page  # a shipped shipment waits for no stock


# --- parcels not shipped yet, shipments without parcels ---------------------------------------------


def labelled_parcel(carriers, *lines):
    placed = ready_order(*lines)
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["standard"].pk)
    box = parcel(shipment, 800)
    labels_request(parcel_ids=[box.pk])
    parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()
    return placed, box


def test_a_packed_parcel_with_a_label_ships_with_its_first_scan_and_stock_leaves(shop, carriers, client, secret):
    placed, box = labelled_parcel(carriers, ("MUG", 3))
    Parcel.objects.filter(pk=box.pk).update(created_at=at(0))  # packed three days ago
    level = StockLevel.objects.get(product=shop["mug"], warehouse=shop["leeds"])
    assert (box.status, level.on_hand, level.reserved) == ("packed", 10, 3)

    response = post(client, secret, scan("S1", box.tracking_number, "in_transit", 1, location="Leeds hub"))

    assert response.status_code == 201
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (7, 0)
    assert statuses(placed)[:3] == (["in_transit"], "shipped", "shipped")
    box.refresh_from_db()
    assert box.shipped_at == at(1)
    shipment = placed.shipments.get()
    assert (shipment.carrier, shipment.tracking_number) == ("Swift", box.tracking_number)
    assert placed.invoice.issued_at == at(1)  # invoiced as it shipped


def test_a_scan_of_a_parcel_that_cannot_ship_is_kept_and_noted_for_staff(carriers, client, secret):
    placed, box = labelled_parcel(carriers, ("MUG", 1))
    order_hold(order_id=placed.pk, reason="manual")

    response = post(client, secret, scan("H1", box.tracking_number, "in_transit", 1))

    assert response.status_code == 201
    assert response.json()["events"][0]["parcel"]["status"] == "packed"
    assert TrackingEvent.objects.filter(event_id="H1").exists()
    assert not StockMovement.objects.filter(kind="shipment").exists()
    [note] = timeline(placed)
    assert note.startswith(f"Shipment 1, parcel 1 ({box.tracking_number}): reported in transit but could not be")
    assert "on hold" in note


def test_a_shipment_shipped_without_parcels_is_found_by_its_tracking_number(shop, client, secret):
    placed = ready_order(("MUG", 2))
    shipment = placed.shipments.get()
    shipment_ship(shipment_id=shipment.pk, carrier="DPD", tracking_number="15501234")

    response = post(client, secret, scan("P1", "15501234", "delivered", 5))

    assert response.status_code == 201, response.content
    assert response.json()["events"][0]["shipment"] == {"position": 1, "status": "delivered"}
    assert statuses(placed) == (["delivered"], "delivered", "delivered", "collected")
    assert placed.payments.get().amount == D("28.95")
    box = shipment.parcels.get()
    assert (box.tracking_number, box.items.get().quantity) == ("15501234", 2)


def test_a_shipment_shipped_whole_from_the_order_page_lets_its_packed_parcels_move(carriers, client, secret):
    placed = ready_order(("MUG", 1))
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["same_day"].pk)
    box = parcel(shipment, 500)
    parcel_tracking_set(parcel_id=box.pk, tracking_number="LC7")
    shipment_ship(shipment_id=shipment.pk, carrier="Local courier", tracking_number="LC7", at=at(0))

    post(client, secret, scan("W1", "LC7", "delivered", 5))

    assert statuses(placed)[:3] == (["delivered"], "delivered", "delivered")
    assert StockMovement.objects.filter(kind="shipment").count() == 1


# --- refusals ---------------------------------------------------------------------------------------


def test_an_unknown_tracking_number_is_refused_with_422_and_nothing_is_stored(carriers, client, secret):
    shipped(carriers)
    before = stored()

    response = post(client, secret, scan("U1", "NOPE-1", "delivered", 5))

    assert response.status_code == 422
    assert response.json()["error"] == "unknown_tracking_number"
    assert "NOPE-1" in response.json()["message"]
    assert stored() == before


def test_a_tracking_number_typed_for_two_shipments_is_refused_until_staff_tell_them_apart(shop, client, secret):
    for _ in range(2):
        shipment_ship(shipment_id=ready_order(("MUG", 1)).shipments.get().pk, carrier="DPD", tracking_number="DUP1")
    before = stored()

    response = post(client, secret, scan("M1", "DUP1", "delivered", 5))

    assert response.status_code == 422
    assert response.json()["error"] == "ambiguous_tracking_number"
    assert stored() == before


def test_a_batch_stores_its_good_events_and_reports_the_refused_ones(carriers, client, secret):
    placed, _ = shipped(carriers)

    response = post(
        client,
        secret,
        {"carrier": "courier", "events": [scan("G1", "NOPE-1", "in_transit", 1), scan("G2", "LC1001", "delivered", 5)]},
    )

    assert response.status_code == 201
    body = response.json()
    assert conforms(body, "TrackingEventsResult") == {}
    refused, created = body["events"]
    assert (refused["result"], refused["error"], refused["parcel"]) == ("refused", "unknown_tracking_number", None)
    assert created["result"] == "created"
    assert list(TrackingEvent.objects.values_list("event_id", flat=True)) == ["G2"]
    assert statuses(placed)[2] == "delivered"

    only_refused = post(client, secret, {"events": [scan("G3", "NOPE-2", "in_transit", 1)]})
    assert only_refused.status_code == 200
    assert only_refused.json()["events"][0]["result"] == "refused"


def test_without_a_valid_token_the_answer_is_401_and_nothing_is_stored(carriers, client, secret):
    shipped(carriers)
    before = stored()

    for token in (None, "bo_" + "x" * 43):
        response = post(client, token, scan("T1", "LC1001", "delivered", 5))
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
    assert client.get(URL, headers={"Authorization": f"Bearer {secret}"}).status_code == 405
    assert stored() == before


def _good(event_id="B1", **changes):
    return {**scan(event_id, "LC1001", "in_transit", 1), **changes}


def _without(name):
    event = _good()
    del event[name]
    return event


BAD_BODIES = [
    (_without("event_id"), "event_id", "required"),
    (_without("time"), "time", "required"),
    (_good(status="lost in space"), "status", "unknown status"),
    (_good(status=3), "status", "must be a string"),
    (_good(time="2026-05-04T09:30:00"), "time", "must be an ISO 8601 time with its offset"),
    (_good(time="yesterday"), "time", "must be an ISO 8601 time with its offset"),
    (_good(time="2026-02-30T10:00:00Z"), "time", "must be an ISO 8601 time with its offset"),
    (_good(time="2026-05-04T09:30:00+25:00"), "time", "must be an ISO 8601 time with its offset"),
    (_good(time="1999-12-31T23:00:00Z"), "time", "must be a time from 2000 to a day from now"),
    (_good(time="9999-12-31T23:59:59-14:00"), "time", "must be a time from 2000 to a day from now"),
    (_good(event_id="x" * 101), "event_id", "must be at most 100 characters"),
    (_good(event_id="  "), "event_id", "must not be blank"),
    (_good(tracking_number=["LC1001"]), "tracking_number", "must be a string"),
    (_good(location="Leeds\x00"), "location", "must not contain control characters"),
    (_good(signed_by="Ann"), "signed_by", "unknown field"),
    (_good(carrier="nobody"), "carrier", "there is no carrier nobody"),
    (_good(carrier="not a code!"), "carrier", "must be a carrier code"),
    ({"events": "E1"}, "events", "must be an array"),
    ({"events": []}, "events", "must hold at least 1 item(s)"),
    ({"events": [_good(f"N{i}") for i in range(101)]}, "events", "must hold at most 100 items"),
    ({"events": [_good("B1"), _good("B2", time="soon")]}, "events[1].time", "must be an ISO 8601 time"),
    ({"events": [_good("B1"), "B2"]}, "events[1]", "must be an object"),
    ([_good()], "body", "must be an object"),
    ("B1", "body", "must be an object"),
]


@pytest.mark.parametrize(("body", "path", "message"), BAD_BODIES)
def test_bad_bodies_get_400_naming_the_field_and_store_nothing(carriers, client, secret, body, path, message):
    shipped(carriers)
    before = stored()

    response = post(client, secret, json.dumps(body))  # a str body goes as it is: encode even "B1"

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    errors = response.json()["errors"]
    assert list(errors) == [path], errors
    assert errors[path].startswith(message), errors
    assert conforms(response.json(), "ValidationError") == {}
    assert stored() == before


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b"", "application/json", 400, "invalid_json"),
        (b'{"event_id": "E1"', "application/json", 400, "invalid_json"),
        (b'{"event_id": "E1", "event_id": "E2"}', "application/json", 400, "invalid_json"),
        (b"event_id=E1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_bodies_that_are_not_json_get_4xx(carriers, client, secret, raw, content_type, status, code):
    response = client.post(URL, data=raw, content_type=content_type, headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == status
    assert response.json()["error"] == code
    assert not TrackingEvent.objects.exists()


def test_the_endpoint_is_in_the_published_schema(client):
    operation = client.get("/api/v1/schema").json()["paths"]["/tracking-events"]["post"]

    assert {"200", "201", "400", "401", "409", "422"} <= set(operation["responses"])
    assert "idempotency key" in operation["description"]


# --- fuzzing ----------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELD_PATHS = [
    (),
    ("carrier",),
    ("events",),
    *[("events", 0, name) for name in ("event_id", "tracking_number", "status", "time", "location", "description")],
    *[(name,) for name in ("event_id", "tracking_number", "status", "time", "location", "description")],
]
STATUS_WORDS = st.sampled_from(["in_transit", "Out-For-Delivery", "delivered", "exception", "returned to sender"])


@st.composite
def fuzzed_bodies(draw):
    """A good single event or batch (for the parcel LC1001, or a tracking number nobody has), with one
    member replaced or dropped; event ids new, or repeated from earlier examples."""
    path = draw(st.sampled_from(FIELD_PATHS))
    event_id = draw(st.sampled_from(["F1", "F2"]) | st.uuids().map(str))
    tracking_number = draw(st.sampled_from(["LC1001", "LC1001", "NOPE-9"]))
    event = scan(event_id, tracking_number, draw(STATUS_WORDS), draw(st.integers(1, 60)))
    if draw(st.booleans()):
        event["carrier"] = "courier"
    batch = path and path[0] in ("events", "carrier")
    body = {"carrier": event.pop("carrier", "swift"), "events": [event]} if batch else event
    if not path:
        return draw(JSON_VALUES)
    target = body
    for step in path[:-1]:
        target = target[step]
    if draw(st.booleans()):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = draw(JSON_VALUES | st.text(max_size=40))
    return body


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=fuzzed_bodies())
def test_any_json_in_any_field_never_gets_a_server_error(carriers, client, secret, body):
    """Stored (201), a repeat (200), or a 400, 409 or 422 that stores nothing. The test client re-raises
    a view's exception, so a server error fails the test too."""
    if not Parcel.objects.filter(tracking_number="LC1001").exists():
        shipped(carriers)
    before = stored()

    response = post(client, secret, json.dumps(body))

    assert response.status_code in (200, 201, 400, 409, 422), response.content
    assert response["Content-Type"] == "application/json"
    event(f"status {response.status_code}")
    if response.status_code in (400, 409, 422):
        assert stored() == before
    if response.status_code in (200, 201):
        assert conforms(response.json(), "TrackingEventsResult") == {}


# --- at the same time -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deliveries_reported_twice_at_once_collect_cash_on_delivery_once(carriers, secret):
    placed, _ = shipped(carriers)
    bodies = [scan("Z1", "LC1001", "delivered", 5), scan("Z1", "LC1001", "delivered", 5)]
    bodies += [scan(f"Z{i}", "LC1001", "delivered", 5 + i) for i in range(2, 6)]
    answers = run_together(lambda index: post(Client(), secret, bodies[index]).status_code, len(bodies))

    assert sorted(answers[:2]) == [200, 201]
    assert answers[2:] == [201] * 4
    assert TrackingEvent.objects.count() == 5
    assert statuses(placed)[:3] == (["delivered"], ShipmentStatus.DELIVERED, OrderStatus.DELIVERED)
    assert list(placed.payments.values_list("amount", flat=True)) == [D("28.95")]
