"""Worked examples of every stock service, with the exact balances they must leave."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from inventory import services
from inventory.exceptions import InsufficientStock, InvalidStockOperation, Shortage
from inventory.models import BinStock, MovementKind, StockLevel, StockMovement
from inventory.services import StockLine
from tests.inventory.factories import (
    BinFactory,
    KitComponentFactory,
    KitFactory,
    ProductFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def level(product, warehouse):
    row = StockLevel.objects.get(product=product, warehouse=warehouse)
    return {
        "on_hand": row.on_hand,
        "reserved": row.reserved,
        "available": row.available,
        "quarantined": row.quarantined,
    }


def in_bin(product, bin_):
    row = BinStock.objects.filter(product=product, bin=bin_).first()
    return row.on_hand if row else 0


def snapshot():
    return (
        list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved", "quarantined")),
        list(BinStock.objects.order_by("pk").values_list("pk", "on_hand")),
        StockMovement.objects.count(),
    )


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="leeds")


@pytest.fixture
def shelf(warehouse):
    return BinFactory(warehouse=warehouse, code="A-01-1")


def receive(product, warehouse, quantity, bin_=None, unit_cost=None):
    services.stock_receive(
        warehouse_id=warehouse.pk,
        lines=[StockLine(product.pk, quantity, bin_.pk if bin_ else None, unit_cost)],
    )


class TestReceive:
    def test_receipt_puts_stock_on_hand_and_in_the_bin(self, warehouse, shelf):
        product = ProductFactory()

        receive(product, warehouse, 12, shelf, Decimal("3.50"))

        assert level(product, warehouse) == {"on_hand": 12, "reserved": 0, "available": 12, "quarantined": 0}
        assert in_bin(product, shelf) == 12
        movement = StockMovement.objects.get(product=product)
        assert (movement.kind, movement.quantity, movement.unit_cost) == (
            MovementKind.RECEIPT,
            12,
            Decimal("3.5"),
        )

    def test_moving_average_cost_counts_stock_in_every_warehouse(self, warehouse):
        other = WarehouseFactory(code="york")
        product = ProductFactory(cost_price=Decimal("0"))
        receive(product, warehouse, 10, unit_cost=Decimal("4.00"))
        receive(product, other, 30, unit_cost=Decimal("6.00"))  # (10*4 + 30*6) / 40 = 5.50

        receive(product, warehouse, 10, unit_cost=Decimal("8.00"))  # (40*5.50 + 10*8) / 50 = 6.00

        product.refresh_from_db()
        assert product.cost_price == Decimal("6.0000")

    def test_average_cost_is_rounded_half_up_to_four_places(self, warehouse):
        product = ProductFactory(cost_price=Decimal("0"))
        receive(product, warehouse, 3, unit_cost=Decimal("1.00"))
        receive(product, warehouse, 3, unit_cost=Decimal("1.0001"))  # 6.0003 / 6 = 1.00005

        product.refresh_from_db()
        assert product.cost_price == Decimal("1.0001")

    def test_kits_cannot_be_received(self, warehouse):
        kit = KitFactory(sku="KIT-1")
        with pytest.raises(InvalidStockOperation, match="KIT-1: a kit has no stock of its own"):
            receive(kit, warehouse, 1)

    def test_a_bin_of_another_warehouse_is_refused(self, warehouse):
        product = ProductFactory()
        foreign = BinFactory(warehouse=WarehouseFactory(code="york"), code="Z-9")
        with pytest.raises(InvalidStockOperation, match="not in warehouse leeds"):
            receive(product, warehouse, 1, foreign)
        assert not StockMovement.objects.exists()

    def test_a_replayed_receipt_changes_nothing(self, warehouse):
        product = ProductFactory(cost_price=Decimal("0"))
        lines = [StockLine(product.pk, 5, None, Decimal("2.00"))]
        first = services.stock_receive(warehouse_id=warehouse.pk, lines=lines, idempotency_key="po-7-receipt-1")

        again = services.stock_receive(warehouse_id=warehouse.pk, lines=lines, idempotency_key="po-7-receipt-1")

        assert [m.pk for m in again] == [m.pk for m in first]
        assert level(product, warehouse)["on_hand"] == 5
        product.refresh_from_db()
        assert product.cost_price == Decimal("2.0000")


class TestAdjust:
    def test_adjustment_needs_a_reason(self, warehouse):
        product = ProductFactory()
        receive(product, warehouse, 5)
        with pytest.raises(InvalidStockOperation, match="needs a reason"):
            services.stock_adjust(product_id=product.pk, warehouse_id=warehouse.pk, quantity=-1, reason="  ")
        assert level(product, warehouse)["on_hand"] == 5

    def test_adjustment_records_the_reason_and_user(self, warehouse, staff_user):
        clerk = staff_user("Warehouse")
        product = ProductFactory()
        receive(product, warehouse, 5)

        movement = services.stock_adjust(
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            quantity=-2,
            reason="Damaged in storage",
            actor=clerk,
        )

        assert (movement.quantity, movement.reason, movement.actor) == (-2, "Damaged in storage", clerk)
        assert level(product, warehouse)["on_hand"] == 3

    def test_stock_promised_to_orders_cannot_be_adjusted_away(self, warehouse):
        product = ProductFactory(sku="MUG-1")
        receive(product, warehouse, 5)
        services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 4)])

        with pytest.raises(InsufficientStock) as error:
            services.stock_adjust(product_id=product.pk, warehouse_id=warehouse.pk, quantity=-2, reason="Broken")

        assert error.value.shortages == [Shortage("MUG-1", "leeds", 2, 1, "unreserved on hand")]
        assert level(product, warehouse) == {"on_hand": 5, "reserved": 4, "available": 1, "quarantined": 0}


class TestReserve:
    def test_a_short_order_names_every_short_line_and_reserves_nothing(self, warehouse):
        mug, plate, bowl = ProductFactory(sku="MUG"), ProductFactory(sku="PLATE"), ProductFactory(sku="BOWL")
        receive(mug, warehouse, 10)
        receive(plate, warehouse, 2)
        before = snapshot()

        with pytest.raises(InsufficientStock) as error:
            services.stock_reserve(
                warehouse_id=warehouse.pk,
                lines=[StockLine(mug.pk, 3), StockLine(plate.pk, 5), StockLine(bowl.pk, 1)],
            )

        assert sorted(error.value.shortages, key=lambda s: s.sku) == [
            Shortage("BOWL", "leeds", 1, 0),
            Shortage("PLATE", "leeds", 5, 2),
        ]
        assert "PLATE in leeds: requested 5, available 2" in str(error.value)
        assert snapshot() == before

    def test_a_kit_reserves_its_components(self, warehouse):
        kit = KitFactory(sku="GIFT-SET")
        mug = KitComponentFactory(kit=kit, quantity=2).component
        spoon = KitComponentFactory(kit=kit, quantity=4).component
        receive(mug, warehouse, 10)
        receive(spoon, warehouse, 10)

        services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(kit.pk, 2), StockLine(mug.pk, 1)])

        assert level(mug, warehouse)["reserved"] == 5  # 2 kits x 2 + 1 single mug
        assert level(spoon, warehouse)["reserved"] == 8
        assert not StockLevel.objects.filter(product=kit).exists()

    def test_a_kit_short_of_one_component_reserves_nothing(self, warehouse):
        kit = KitFactory(sku="GIFT-SET")
        mug = KitComponentFactory(kit=kit, quantity=2, component__sku="MUG").component
        spoon = KitComponentFactory(kit=kit, quantity=4, component__sku="SPOON").component
        receive(mug, warehouse, 10)
        receive(spoon, warehouse, 7)
        before = snapshot()

        with pytest.raises(InsufficientStock) as error:
            services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(kit.pk, 2)])

        assert error.value.shortages == [Shortage("SPOON", "leeds", 8, 7)]
        assert snapshot() == before

    def test_release_gives_reserved_stock_back(self, warehouse):
        product = ProductFactory()
        receive(product, warehouse, 5)
        services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3)])

        services.stock_release(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 2)])

        assert level(product, warehouse) == {"on_hand": 5, "reserved": 1, "available": 4, "quarantined": 0}
        with pytest.raises(InsufficientStock, match="requested 2, reserved 1"):
            services.stock_release(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 2)])

    def test_a_replayed_reservation_reserves_once(self, warehouse):
        product = ProductFactory()
        receive(product, warehouse, 5)
        for _ in range(3):
            services.stock_reserve(
                warehouse_id=warehouse.pk,
                lines=[StockLine(product.pk, 2)],
                idempotency_key="order-1001-reserve",
            )
        assert level(product, warehouse)["reserved"] == 2

    @pytest.mark.parametrize("quantity", [0, -1, 1.5])
    def test_quantities_must_be_positive_whole_numbers(self, warehouse, quantity):
        product = ProductFactory()
        with pytest.raises(InvalidStockOperation, match="whole numbers above zero"):
            services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, quantity)])


class TestTransfer:
    def test_transfer_moves_stock_between_warehouses_and_bins(self, warehouse, shelf):
        york = WarehouseFactory(code="york")
        york_shelf = BinFactory(warehouse=york, code="B-02-1")
        product = ProductFactory()
        receive(product, warehouse, 10, shelf)

        movements = services.stock_transfer(
            from_warehouse_id=warehouse.pk,
            to_warehouse_id=york.pk,
            lines=[StockLine(product.pk, 4, shelf.pk)],
            to_bin_ids={product.pk: york_shelf.pk},
        )

        assert level(product, warehouse)["on_hand"] == 6
        assert level(product, york)["on_hand"] == 4
        assert (in_bin(product, shelf), in_bin(product, york_shelf)) == (6, 4)
        assert {m.kind for m in movements} == {MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN}
        assert len({m.operation for m in movements}) == 1

    def test_a_transfer_with_one_short_line_moves_nothing(self, warehouse):
        york = WarehouseFactory(code="york")
        plenty, scarce = ProductFactory(sku="PLENTY"), ProductFactory(sku="SCARCE")
        receive(plenty, warehouse, 10)
        receive(scarce, warehouse, 3)
        services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(scarce.pk, 2)])
        before = snapshot()

        with pytest.raises(InsufficientStock) as error:
            services.stock_transfer(
                from_warehouse_id=warehouse.pk,
                to_warehouse_id=york.pk,
                lines=[StockLine(plenty.pk, 5), StockLine(scarce.pk, 2)],
            )

        # Reserved units stay for their orders: only 1 of the 3 on hand may leave.
        assert error.value.shortages == [Shortage("SCARCE", "leeds", 2, 1, "unreserved on hand")]
        assert snapshot() == before
        assert not StockLevel.objects.filter(warehouse=york).exclude(on_hand=0).exists()


class TestPickShipReturn:
    def test_pick_then_ship(self, warehouse, shelf):
        product = ProductFactory()
        receive(product, warehouse, 10, shelf)
        services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3)])

        services.stock_pick(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3, shelf.pk)])
        assert in_bin(product, shelf) == 7
        assert level(product, warehouse) == {"on_hand": 10, "reserved": 3, "available": 7, "quarantined": 0}

        services.stock_ship(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3)])
        assert level(product, warehouse) == {"on_hand": 7, "reserved": 0, "available": 7, "quarantined": 0}
        assert in_bin(product, shelf) == 7

    def test_picking_more_than_the_bin_holds_is_refused(self, warehouse, shelf):
        product = ProductFactory(sku="LAMP")
        receive(product, warehouse, 2, shelf)
        with pytest.raises(InsufficientStock, match="LAMP in leeds: requested 3, in bin A-01-1 2"):
            services.stock_pick(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3, shelf.pk)])

    def test_a_kit_ships_its_components_from_their_bin(self, warehouse, shelf):
        kit = KitFactory()
        component = KitComponentFactory(kit=kit, quantity=3).component
        receive(component, warehouse, 9, shelf)
        services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(kit.pk, 2)])

        services.stock_ship(warehouse_id=warehouse.pk, lines=[StockLine(kit.pk, 2, shelf.pk)])

        assert level(component, warehouse) == {"on_hand": 3, "reserved": 0, "available": 3, "quarantined": 0}
        assert in_bin(component, shelf) == 3

    def test_returns_go_back_to_a_bin_or_into_quarantine(self, warehouse, shelf):
        quarantine = BinFactory(warehouse=warehouse, code="Q-1", is_quarantine=True)
        product = ProductFactory()

        services.stock_return(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 2, shelf.pk)])
        services.stock_return(
            warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 3, quarantine.pk)], to_quarantine=True
        )

        assert level(product, warehouse) == {"on_hand": 2, "reserved": 0, "available": 2, "quarantined": 3}
        assert (in_bin(product, shelf), in_bin(product, quarantine)) == (2, 3)

        services.stock_quarantine_release(
            warehouse_id=warehouse.pk,
            product_id=product.pk,
            quantity=2,
            from_bin_id=quarantine.pk,
            to_bin_id=shelf.pk,
        )
        services.stock_quarantine_release(
            warehouse_id=warehouse.pk,
            product_id=product.pk,
            quantity=1,
            from_bin_id=quarantine.pk,
            scrap=True,
            reason="Water damage",
        )
        assert level(product, warehouse) == {"on_hand": 4, "reserved": 0, "available": 4, "quarantined": 0}
        assert (in_bin(product, shelf), in_bin(product, quarantine)) == (4, 0)

    def test_quarantine_returns_need_a_quarantine_bin(self, warehouse, shelf):
        product = ProductFactory()
        with pytest.raises(InvalidStockOperation, match="not a quarantine bin"):
            services.stock_return(
                warehouse_id=warehouse.pk, lines=[StockLine(product.pk, 1, shelf.pk)], to_quarantine=True
            )


class TestCount:
    def test_count_posts_the_variance(self, warehouse, shelf):
        counted_up, counted_down, new = ProductFactory(), ProductFactory(), ProductFactory()
        receive(counted_up, warehouse, 5, shelf)
        receive(counted_down, warehouse, 8, shelf)
        receive(counted_down, warehouse, 2)  # not in a bin: the count of the bin leaves it alone

        variances = services.stock_count(bin_id=shelf.pk, counts={counted_up.pk: 7, counted_down.pk: 6, new.pk: 1})

        assert {v.product_id: (v.expected, v.counted, v.variance) for v in variances} == {
            counted_up.pk: (5, 7, 2),
            counted_down.pk: (8, 6, -2),
            new.pk: (0, 1, 1),
        }
        assert (level(counted_up, warehouse)["on_hand"], in_bin(counted_up, shelf)) == (7, 7)
        assert (level(counted_down, warehouse)["on_hand"], in_bin(counted_down, shelf)) == (8, 6)
        assert (level(new, warehouse)["on_hand"], in_bin(new, shelf)) == (1, 1)
        assert StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).count() == 3

    def test_a_count_matching_the_books_posts_nothing(self, warehouse, shelf):
        product = ProductFactory()
        receive(product, warehouse, 5, shelf)
        services.stock_count(bin_id=shelf.pk, counts={product.pk: 5})
        assert StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).count() == 0


class TestLedgerIsImmutable:
    def test_the_database_refuses_to_update_or_delete_a_movement(self, warehouse):
        product = ProductFactory()
        receive(product, warehouse, 5)
        movement = StockMovement.objects.get()

        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            StockMovement.objects.filter(pk=movement.pk).update(quantity=50)
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            movement.delete()

    def test_the_database_refuses_an_oversell_even_past_the_services(self, warehouse):
        product = ProductFactory()
        receive(product, warehouse, 5)
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(product=product).update(reserved=6)
