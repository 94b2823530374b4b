"""Pick lists: which shipments they take, where they send the picker, and what confirming a pick does
to the bins, the shipments and the queue."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from inventory.services import stock_adjust
from orders.fulfilment import selectors
from orders.fulfilment.exceptions import FulfilmentError, PickingInvalid
from orders.fulfilment.picking import pick_list_confirm, pick_list_create
from orders.models import OrderEvent, PickList, Shipment, ShipmentLine
from orders.services.lifecycle import order_cancel
from orders.services.shipping import shipment_ship
from tests.orders.fulfilment_support import floor_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def stops(pick_list):
    return [
        (line.sequence, line.bin.code if line.bin else None, line.product.sku, line.quantity)
        for line in pick_list.lines.select_related("bin", "product").order_by("sequence")
    ]


def shipment_of(placed):
    return placed.shipments.get()


def picks_all(pick_list, **short):
    """Everything asked for, except {sku: (picked, reason)}."""
    picks = {}
    for line in pick_list.lines.select_related("product"):
        picks[line.pk] = short.get(line.product.sku, (line.quantity, ""))
    return picks


def queued_ids(floor, stage=selectors.Stage.PICK):
    page = selectors.fulfilment_queue(warehouse_id=floor.leeds.pk, filters=selectors.QueueFilters(stage=stage))
    return [shipment.pk for shipment in page.shipments]


# --- making pick lists ------------------------------------------------------------------------------


def test_a_pick_list_adds_up_each_product_per_bin_in_walking_order(floor):
    first = floor.place(("MUG", 2), ("PLATE", 1))
    second = floor.place(("MUG", 3))

    pick_list = pick_list_create(
        warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(first).pk, shipment_of(second).pk]
    )

    assert pick_list.number == f"PL-{timezone.now().year}-000001"
    # Five mugs: the four in A-01 (walked first), then one from C-01; the plate from B-01 between.
    assert stops(pick_list) == [(1, "A-01", "MUG", 4), (2, "B-01", "PLATE", 1), (3, "C-01", "MUG", 1)]
    assert set(pick_list.shipments.values_list("pk", flat=True)) == {shipment_of(first).pk, shipment_of(second).pk}
    assert queued_ids(floor) == []
    assert OrderEvent.objects.filter(order=first, message=f"Shipment 1 is on pick list {pick_list.number}").exists()


def test_kits_are_picked_as_their_components(floor):
    placed = floor.place(("GIFT", 2))

    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])

    assert stops(pick_list) == [(1, "A-01", "MUG", 2), (2, "B-01", "COASTER", 4)]


def test_units_promised_to_an_open_pick_list_are_not_offered_again(floor):
    first = floor.place(("MUG", 4))
    pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(first).pk])
    second = floor.place(("MUG", 2))

    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(second).pk])

    # A-01's four mugs are the first list's: the second goes to C-01.
    assert stops(pick_list) == [(1, "C-01", "MUG", 2)]


def test_a_batch_takes_the_most_urgent_then_the_longest_waiting(floor):
    old = floor.place(("PLATE", 1))
    new = floor.place(("PLATE", 1))
    urgent = floor.place(("PLATE", 1), priority=2)
    Shipment.objects.filter(order=old).update(created_at=timezone.now() - timedelta(days=2))

    first = pick_list_create(warehouse_id=floor.leeds.pk, limit=2)
    second = pick_list_create(warehouse_id=floor.leeds.pk, limit=2)

    assert set(first.shipments.values_list("order_id", flat=True)) == {urgent.pk, old.pk}
    assert set(second.shipments.values_list("order_id", flat=True)) == {new.pk}
    with pytest.raises(FulfilmentError, match="No shipment is waiting to be picked"):
        pick_list_create(warehouse_id=floor.leeds.pk, limit=2)


def test_a_batch_keeps_to_the_queues_filters(floor):
    floor.place(("PLATE", 1))
    urgent = floor.place(("PLATE", 1), priority=2)

    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, limit=5, filters=selectors.QueueFilters(priority=2))

    assert list(pick_list.shipments.values_list("order_id", flat=True)) == [urgent.pk]


def test_chosen_shipments_that_cannot_be_picked_are_refused_by_name(floor):
    taken = floor.place(("MUG", 1))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(taken).pk])
    waiting = floor.place(("PLATE", 9, True))  # six in stock: three backordered
    free = floor.place(("MUG", 1))

    with pytest.raises(FulfilmentError) as refused:
        pick_list_create(
            warehouse_id=floor.leeds.pk,
            shipment_ids=[shipment_of(taken).pk, shipment_of(waiting).pk, shipment_of(free).pk],
        )

    message = str(refused.value)
    assert f"{taken.number}/1 is on pick list {pick_list.number} already" in message
    assert f"{waiting.number}/1 still waits for stock" in message
    assert free.number not in message
    assert PickList.objects.count() == 1


# --- confirming what was picked ---------------------------------------------------------------------


def test_confirming_moves_the_units_out_of_their_bins_and_onto_the_shipments(floor):
    placed = floor.place(("MUG", 5), ("PLATE", 2))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])

    outcome = pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list))

    assert outcome.short == [] and outcome.put_back == []
    assert floor.in_bins(floor.mug) == {"A-01": 0, "C-01": 2}
    assert floor.in_bins(floor.plate) == {"B-01": 4}
    # Still on hand and reserved: they wait in the packing area until they ship.
    level = StockLevel.objects.get(product=floor.mug, warehouse=floor.leeds)
    assert (level.on_hand, level.reserved) == (7, 5)
    assert sorted(StockMovement.objects.filter(kind="pick").values_list("product__sku", "bin__code", "quantity")) == [
        ("MUG", "A-01", -4),
        ("MUG", "C-01", -1),
        ("PLATE", "B-01", -2),
    ]
    assert sorted(ShipmentLine.objects.values_list("quantity", "picked_quantity")) == [(2, 2), (5, 5)]
    pick_list.refresh_from_db()
    assert pick_list.status == PickList.Status.DONE and pick_list.completed_at is not None
    assert queued_ids(floor) == [] and queued_ids(floor, selectors.Stage.PACK) == [shipment_of(placed).pk]
    assert OrderEvent.objects.filter(order=placed, message=f"Shipment 1 picked on {pick_list.number}").exists()


def test_a_picked_shipment_ships_the_picked_units_without_taking_them_from_the_bins_again(floor):
    placed = floor.place(("MUG", 5))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])
    pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list))

    shipment_ship(shipment_id=shipment_of(placed).pk, carrier="DPD")

    assert floor.in_bins(floor.mug) == {"A-01": 0, "C-01": 2}
    level = StockLevel.objects.get(product=floor.mug, warehouse=floor.leeds)
    assert (level.on_hand, level.reserved) == (2, 0)


def test_a_short_pick_needs_a_reason_and_more_than_asked_is_refused(floor):
    placed = floor.place(("MUG", 5))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])
    first, second = pick_list.lines.order_by("sequence")

    with pytest.raises(PickingInvalid) as refused:
        pick_list_confirm(pick_list_id=pick_list.pk, picks={first.pk: (3, ""), second.pk: (2, "")})

    assert refused.value.errors == {
        first.pk: "MUG from A-01: 3 of 4 picked; say why the rest is missing.",
        second.pk: "MUG from C-01: 2 is more than the 1 asked for; put the rest back.",
    }
    assert not StockMovement.objects.filter(kind="pick").exists()
    assert PickList.objects.get().status == PickList.Status.OPEN


def test_a_short_pick_sends_the_shipment_back_to_the_queue_with_the_reason(floor):
    urgent = floor.place(("MUG", 2), priority=1)
    normal = floor.place(("MUG", 2))
    pick_list = pick_list_create(
        warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(urgent).pk, shipment_of(normal).pk]
    )
    assert stops(pick_list) == [(1, "A-01", "MUG", 4)]

    outcome = pick_list_confirm(
        pick_list_id=pick_list.pk, picks=picks_all(pick_list, MUG=(3, "two mugs broken in the bin"))
    )

    # The urgent shipment gets its two; the other one of its two and goes back to the queue.
    assert [shipment.order_id for shipment in outcome.short] == [normal.pk]
    assert ShipmentLine.objects.get(shipment__order=urgent).picked_quantity == 2
    assert ShipmentLine.objects.get(shipment__order=normal).picked_quantity == 1
    assert floor.in_bins(floor.mug) == {"A-01": 1, "C-01": 3}
    note = f"Short pick on {pick_list.number}: MUG 1 of 2 (two mugs broken in the bin)"
    assert shipment_of(normal).queue_note == note
    assert shipment_of(urgent).queue_note == ""
    assert queued_ids(floor) == [shipment_of(normal).pk]
    assert OrderEvent.objects.filter(
        order=normal, kind="fulfilment", message=f"Shipment 1: {note}; back in the fulfilment queue"
    ).exists()
    line = pick_list.lines.get()
    assert (line.picked_quantity, line.short_reason) == (3, "two mugs broken in the bin")

    # The next pick list fetches only what is missing, and a full pick clears the note.
    again = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(normal).pk])
    assert stops(again) == [(1, "A-01", "MUG", 1)]
    pick_list_confirm(pick_list_id=again.pk, picks=picks_all(again))
    assert shipment_of(normal).queue_note == ""
    assert ShipmentLine.objects.get(shipment__order=normal).picked_quantity == 2


def test_components_of_a_kit_that_cannot_be_completed_are_put_back(floor):
    placed = floor.place(("GIFT", 1))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])

    outcome = pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list, MUG=(0, "bin empty")))

    assert outcome.put_back == [("COASTER", "B-01", 2)]
    assert floor.in_bins(floor.coaster) == {"B-01": 10}
    assert not StockMovement.objects.filter(kind="pick").exists()
    assert ShipmentLine.objects.get().picked_quantity == 0
    assert shipment_of(placed).queue_note == f"Short pick on {pick_list.number}: GIFT 0 of 1 (bin empty)"
    coasters = pick_list.lines.get(product=floor.coaster)
    assert (coasters.picked_quantity, coasters.short_reason) == (0, "2 put back: no shipment needs them")


def test_units_for_a_shipment_cancelled_meanwhile_go_back_to_their_bin(floor):
    kept = floor.place(("PLATE", 1))
    cancelled = floor.place(("PLATE", 2))
    pick_list = pick_list_create(
        warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(kept).pk, shipment_of(cancelled).pk]
    )
    order_cancel(order_id=cancelled.pk, reason="Customer changed their mind")

    outcome = pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list))

    assert outcome.put_back == [("PLATE", "B-01", 2)]
    assert floor.in_bins(floor.plate) == {"B-01": 5}
    assert ShipmentLine.objects.get(shipment__order=kept).picked_quantity == 1


def test_a_pick_list_is_confirmed_once(floor):
    placed = floor.place(("PLATE", 1))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])
    pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list))

    with pytest.raises(FulfilmentError, match="confirmed already"):
        pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list))

    assert StockMovement.objects.filter(kind="pick").count() == 1


def test_a_bin_that_holds_fewer_than_entered_refuses_the_whole_pick(floor):
    placed = floor.place(("MUG", 2), ("PLATE", 1))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])
    # Someone counted A-01 and found only one mug (one of the spare ones elsewhere stays reserved).
    stock_adjust(
        product_id=floor.mug.pk, warehouse_id=floor.leeds.pk, quantity=-3, bin_id=floor.bins["A-01"].pk, reason="Count"
    )

    with pytest.raises(FulfilmentError, match=r"MUG in LDS: requested 2, in bin A-01 1"):
        pick_list_confirm(pick_list_id=pick_list.pk, picks=picks_all(pick_list))

    assert floor.in_bins(floor.plate) == {"B-01": 6}
    assert ShipmentLine.objects.filter(picked_quantity__gt=0).count() == 0
    assert PickList.objects.get().status == PickList.Status.OPEN


# --- two people batching at once --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_never_put_a_shipment_on_two_lists(floor):
    for _ in range(4):
        floor.place(("PLATE", 1))
    barrier = threading.Barrier(2)
    errors = []

    def batch():
        try:
            barrier.wait()
            pick_list_create(warehouse_id=floor.leeds.pk, limit=3)
        except FulfilmentError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    on_lists = list(PickList.shipments.through.objects.values_list("shipment_id", flat=True))
    assert len(on_lists) == len(set(on_lists))
    assert PickList.objects.count() + len(errors) == 2
    assert len(on_lists) >= 3


@pytest.mark.django_db(transaction=True)
def test_a_pick_list_confirmed_twice_at_once_moves_the_stock_once(floor):
    placed = floor.place(("MUG", 5))
    pick_list = pick_list_create(warehouse_id=floor.leeds.pk, shipment_ids=[shipment_of(placed).pk])
    picks = picks_all(pick_list)
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm():
        try:
            barrier.wait()
            outcomes.append(pick_list_confirm(pick_list_id=pick_list.pk, picks=picks))
        except FulfilmentError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["FulfilmentError", "PickOutcome"]
    assert StockMovement.objects.filter(kind="pick").count() == 2  # A-01 and C-01, once each
    assert floor.in_bins(floor.mug) == {"A-01": 0, "C-01": 2}
    assert ShipmentLine.objects.get().picked_quantity == 5
