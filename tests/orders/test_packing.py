"""Packing: parcels_pack takes every unit of a shipment exactly once; the pack station's scan checks
refuse a wrong item or one too many, and build kits from their components."""

import pytest

from orders.fulfilment import pack_selectors
from orders.fulfilment.exceptions import FulfilmentError, PackingInvalid
from orders.fulfilment.packing import ParcelInput, parcels_pack
from orders.fulfilment.scanning import (
    PackDraft,
    drop_parcel,
    new_parcel,
    parcel_inputs,
    read_parcel_fields,
    remove_one,
    scan,
    still_to_scan,
)
from orders.models import Carrier, CarrierService, OrderEvent, Parcel, ParcelItem, Shipment
from orders.services.shipping import shipment_ship
from tests.orders.fulfilment_support import floor_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def lines_by_sku(shipment):
    return {line.sku: line for line in pack_selectors.pack_lines(shipment_id=shipment.pk)}


# --- parcels_pack -------------------------------------------------------------------------------------


def test_a_shipment_is_packed_into_parcels_weighed_from_its_products_unless_weighed(floor):
    placed = floor.place(("MUG", 2), ("PLATE", 1))
    shipment = placed.shipments.get()
    carrier = Carrier.objects.create(code="dpd", name="DPD", kind=Carrier.Kind.TABLE_RATE)
    Shipment.objects.filter(pk=shipment.pk).update(
        service=CarrierService.objects.create(carrier=carrier, code="std", name="Standard")
    )
    lines = lines_by_sku(shipment)

    parcels = parcels_pack(
        shipment_id=shipment.pk,
        parcels=[
            ParcelInput(items={lines["MUG"].id: 2}),
            ParcelInput(items={lines["PLATE"].id: 1}, weight_grams=900, package_type=Parcel.PackageType.LARGE_BOX),
        ],
    )

    assert [(p.position, p.weight_grams, p.package_type, p.label_status) for p in parcels] == [
        (1, 700, "medium_box", "none"),
        (2, 900, "large_box", "none"),
    ]
    assert all(parcel.service.code == "std" for parcel in parcels)
    assert sorted(ParcelItem.objects.values_list("parcel__position", "shipment_line__order_line__sku", "quantity")) == [
        (1, "MUG", 2),
        (2, "PLATE", 1),
    ]
    assert OrderEvent.objects.filter(order=placed, message="Shipment 1 packed: 2 parcels (0.7 kg, 0.9 kg)").exists()


def test_a_kit_without_a_weight_of_its_own_weighs_what_its_components_do(floor):
    shipment = floor.place(("GIFT", 2)).shipments.get()
    line = lines_by_sku(shipment)["GIFT"]

    (parcel,) = parcels_pack(shipment_id=shipment.pk, parcels=[ParcelInput(items={line.id: 2})])

    assert line.unit_weight_grams == 450  # a mug and two coasters
    assert parcel.weight_grams == 900


def test_a_wrong_item_too_many_or_too_few_is_refused_naming_the_sku(floor):
    shipment = floor.place(("MUG", 2), ("PLATE", 1)).shipments.get()
    other = floor.place(("COASTER", 1)).shipments.get()
    lines, stranger = lines_by_sku(shipment), lines_by_sku(other)["COASTER"]

    with pytest.raises(PackingInvalid) as refused:
        parcels_pack(
            shipment_id=shipment.pk,
            parcels=[ParcelInput(items={lines["MUG"].id: 3, stranger.id: 1}), ParcelInput(items={})],
        )

    message = str(refused.value)
    assert f"Wrong item: COASTER is not in shipment {shipment}." in message
    assert "Too many MUG: 3 packed, the shipment has 2." in message
    assert "PLATE: 0 of 1 packed; every unit must be packed." in message
    assert "Parcel 2 is empty." in message
    assert not Parcel.objects.exists()


def test_a_parcel_of_weightless_products_needs_its_weight(floor):
    floor.plate.weight_kg = 0
    floor.plate.save()
    shipment = floor.place(("PLATE", 1)).shipments.get()
    line = lines_by_sku(shipment)["PLATE"]

    with pytest.raises(PackingInvalid, match="Parcel 1: enter its weight"):
        parcels_pack(shipment_id=shipment.pk, parcels=[ParcelInput(items={line.id: 1})])
    (parcel,) = parcels_pack(shipment_id=shipment.pk, parcels=[ParcelInput(items={line.id: 1}, weight_grams=640)])

    assert parcel.weight_grams == 640


def test_a_shipment_is_packed_once_and_only_while_ready(floor):
    shipment = floor.place(("PLATE", 1)).shipments.get()
    line = lines_by_sku(shipment)["PLATE"]
    parcels_pack(shipment_id=shipment.pk, parcels=[ParcelInput(items={line.id: 1})])

    with pytest.raises(FulfilmentError, match="packed already"):
        parcels_pack(shipment_id=shipment.pk, parcels=[ParcelInput(items={line.id: 1})])

    shipped = floor.place(("MUG", 1)).shipments.get()
    shipment_ship(shipment_id=shipped.pk, carrier="DPD")
    with pytest.raises(FulfilmentError, match="is shipped; it cannot be packed"):
        parcels_pack(shipment_id=shipped.pk, parcels=[ParcelInput(items={lines_by_sku(shipped)["MUG"].id: 1})])
    assert Parcel.objects.count() == 1


# --- the pack station's scans -------------------------------------------------------------------------


def test_scans_by_barcode_or_sku_count_until_the_line_is_complete_then_refuse(floor):
    shipment = floor.place(("MUG", 2)).shipments.get()
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    draft = PackDraft()

    first = scan(draft, lines, "5012345678900")
    second = scan(draft, lines, " mug ")
    third = scan(draft, lines, "5012345678900")

    assert (first.accepted, first.message) == (True, "MUG: 1 of 2")
    assert (second.accepted, second.message) == (True, "MUG: 2 of 2")
    assert (third.accepted, third.message) == (False, "Too many MUG: all 2 are packed already.")
    assert draft.packed(lines[0].id) == 2
    assert still_to_scan(draft, lines) == []


def test_a_wrong_or_unknown_item_is_refused_naming_it(floor):
    shipment = floor.place(("MUG", 1)).shipments.get()
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    draft = PackDraft()

    def identify(code):
        return pack_selectors.product_by_code(code=code)

    wrong = scan(draft, lines, "5012345678917", identify=identify)
    unknown = scan(draft, lines, "999", identify=identify)

    assert (wrong.accepted, wrong.message) == (False, "Wrong item: PLATE Stoneware plate is not in this shipment.")
    assert (unknown.accepted, unknown.message) == (False, "Unknown code 999: no product has this barcode or SKU.")
    assert draft.packed(lines[0].id) == 0
    assert still_to_scan(draft, lines) == ["MUG 1 more"]


def test_a_kit_counts_once_each_component_is_scanned_or_when_scanned_itself(floor):
    shipment = floor.place(("GIFT", 2)).shipments.get()
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    (gift,) = lines
    draft = PackDraft()

    assert scan(draft, lines, "COASTER").message == "COASTER for kit GIFT: COASTER 1 of 2, MUG 0 of 1"
    assert scan(draft, lines, "MUG").message == "MUG for kit GIFT: COASTER 1 of 2, MUG 1 of 1"
    refused = new_parcel(draft, lines)
    assert (refused.accepted, refused.message) == (
        False,
        "Finish kit GIFT first: its components must go in one parcel.",
    )
    assert scan(draft, lines, "5012345678924").message == "Kit GIFT complete: 1 of 2"
    assert scan(draft, lines, "gift").message == "GIFT: 2 of 2"
    assert draft.packed(gift.id) == 2
    assert scan(draft, lines, "COASTER").accepted is False


def test_parcels_split_the_shipment_and_a_unit_can_be_taken_out_again(floor):
    shipment = floor.place(("MUG", 2), ("PLATE", 1)).shipments.get()
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    mug, plate = lines
    draft = PackDraft()

    assert new_parcel(draft, lines).message == "Parcel 1 is still empty: scan something into it first."
    scan(draft, lines, "MUG")
    scan(draft, lines, "MUG")
    assert new_parcel(draft, lines).accepted
    scan(draft, lines, "PLATE")
    assert remove_one(draft, lines, 0, mug.id).message == "One MUG taken out of parcel 1: 1 of 2"
    assert still_to_scan(draft, lines) == ["MUG 1 more"]
    scan(draft, lines, "MUG")  # into the current parcel, the second
    read_parcel_fields(
        draft, {"weight-0": "380", "weight-default-0": "350", "weight-1": "950", "weight-default-1": "950"}
    )

    inputs = parcel_inputs(draft, lines)

    assert inputs == [
        ParcelInput(items={mug.id: 1}, weight_grams=380),
        ParcelInput(items={mug.id: 1, plate.id: 1}, weight_grams=None),
    ]
    parcels = parcels_pack(shipment_id=shipment.pk, parcels=inputs)
    assert [parcel.weight_grams for parcel in parcels] == [380, 950]


def test_an_empty_parcel_can_be_dropped_and_a_draft_survives_the_session(floor):
    shipment = floor.place(("MUG", 1)).shipments.get()
    lines = pack_selectors.pack_lines(shipment_id=shipment.pk)
    draft = PackDraft()
    scan(draft, lines, "MUG")
    new_parcel(draft, lines)

    assert drop_parcel(draft, 0).message == "Parcel 1 is not empty: take its items out first."
    assert drop_parcel(draft, 1).message == "Parcel 2 removed."
    again = PackDraft.from_data(draft.as_data())
    assert again == draft
    assert PackDraft.from_data({"parcels": "nonsense"}) == PackDraft()
    draft.current.weight = "1.5kg"
    with pytest.raises(PackingInvalid, match="whole number of grams"):
        parcel_inputs(draft, lines)
