"""The demo orders: every state, channel and payment method is there, the stock agrees with the open
orders and with the ledger, the totals add up, and the numbering goes on after them."""

import random
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count, F, Sum

from backoffice.demo import seed_staff
from backoffice.models import NumberSequence
from crm.demo import seed_customers, seed_tiers
from inventory.demo import seed_inventory
from inventory.models import BALANCE_OF_KIND, KitComponent, StockLevel, StockMovement
from orders.demo import seed_orders
from orders.demo.recent import STORIES
from orders.models import Carrier, Order, OrderLine, Parcel, Payment, PickList, Shipment, ShipmentLine
from orders.services.placement import order_place
from orders.states import RESERVING, HoldReason, OrderStatus, PaymentMethod, ShipmentStatus
from pricing.demo import seed_pricing
from pricing.models import Channel, CouponRedemption
from tests.orders.factories import order
from tests.orders.shipping_support import pdf_text

pytestmark = pytest.mark.django_db

# Half placed through the services (every story of orders.demo.recent at least once), half history.
ORDERS = 2 * len(STORIES)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's label PDFs
    options = {"seed": 7, "orders": ORDERS}
    rng = random.Random(7)
    for seeder in (seed_staff, seed_inventory, seed_tiers, seed_customers, seed_pricing):
        seeder(rng, options)
    summary = seed_orders(rng, options)
    return summary


def test_every_state_channel_and_payment_method_is_there(demo):
    orders = Order.objects.all()

    assert orders.count() == ORDERS
    assert f"{ORDERS} orders" in demo
    statuses = set(orders.values_list("status", flat=True))
    assert statuses >= {
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
    }
    assert set(orders.exclude(hold_reason="").values_list("hold_reason", flat=True)) == set(HoldReason.values)
    assert set(orders.filter(status=OrderStatus.ON_HOLD).values_list("hold_reason", flat=True)) == set(
        HoldReason.values
    )
    assert not orders.exclude(status=OrderStatus.ON_HOLD).exclude(hold_reason="").exists()
    assert set(orders.values_list("channel", flat=True)) == set(Channel.values)
    assert set(orders.values_list("payment_method", flat=True)) == set(PaymentMethod.values)
    assert orders.annotate(shipments_count=Count("shipments")).filter(shipments_count=2).exists()
    assert Shipment.objects.filter(is_pickup=True).exists()
    assert orders.exclude(coupon_codes=[]).exists() and CouponRedemption.objects.exists()
    assert OrderLine.objects.filter(backordered_quantity__gt=0).exists()


def test_the_warehouse_has_shipments_in_every_fulfilment_state_with_labels_and_tracking(demo):
    parcels = Parcel.objects.select_related("shipment__order")

    assert PickList.objects.filter(status=PickList.Status.OPEN).exists()
    picked_not_packed = ShipmentLine.objects.filter(picked_quantity__gt=0, shipment__parcels__isnull=True)
    assert picked_not_packed.filter(shipment__status=ShipmentStatus.READY).exists()
    assert parcels.filter(status=Parcel.Status.PACKED, label_status=Parcel.LabelStatus.NONE).exists()
    labelled = parcels.filter(status=Parcel.Status.PACKED, label_status=Parcel.LabelStatus.CREATED)
    assert labelled.exists()
    for parcel in labelled:
        assert parcel.tracking_number in pdf_text(parcel.label_file.path)
    failed = parcels.filter(label_status=Parcel.LabelStatus.FAILED).first()
    assert "No carrier service delivers these parcels" in failed.label_error
    assert failed.shipment.queue_note.startswith("Label failed")
    assert parcels.filter(status=Parcel.Status.SHIPPED, service__carrier__kind=Carrier.Kind.MANUAL).exists()
    reached = set(parcels.values_list("status", flat=True))
    assert reached == set(Parcel.Status.values) - {Parcel.Status.RETURNED_TO_SENDER}
    # Delivered by the carrier's report: the shipment and the order follow, cash on delivery collected.
    delivered = parcels.filter(status=Parcel.Status.DELIVERED)
    for parcel in delivered:
        assert parcel.tracking_events.filter(status="delivered").exists()
        assert parcel.shipment.status == ShipmentStatus.DELIVERED
        assert parcel.shipment.order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
    assert Payment.objects.filter(kind=Payment.Kind.COD_COLLECTED, order__shipments__parcels__in=delivered).exists()
    problem = parcels.filter(status=Parcel.Status.EXCEPTION).first()
    assert problem.shipment.order.events.filter(message__contains="Address could not be found").exists()
    # Every shipped parcel of a label-making carrier has its label and a tracking number.
    for parcel in parcels.exclude(status=Parcel.Status.PACKED):
        assert parcel.tracking_number
        assert parcel.label_file or parcel.service.carrier.kind == Carrier.Kind.MANUAL


def test_the_stock_agrees_with_the_ledger_and_the_open_orders(demo):
    ledger = Counter()
    for kind, balance in BALANCE_OF_KIND.items():
        for row in (
            StockMovement.objects.filter(kind=kind).values("product_id", "warehouse_id").annotate(total=Sum("quantity"))
        ):
            ledger[(balance, row["product_id"], row["warehouse_id"])] += row["total"]
    components = {}
    for part in KitComponent.objects.all():
        components.setdefault(part.kit_id, []).append((part.component_id, part.quantity))
    held = Counter()
    for product_id, warehouse_id, reserved in ShipmentLine.objects.filter(
        shipment__order__status__in=RESERVING
    ).values_list("order_line__product_id", "shipment__warehouse_id", "reserved_quantity"):
        for component_id, per_unit in components.get(product_id, [(product_id, 1)]):
            held[(component_id, warehouse_id)] += reserved * per_unit

    assert sum(held.values()) > 0
    assert not ShipmentLine.objects.exclude(shipment__order__status__in=RESERVING).filter(reserved_quantity__gt=0)
    for level in StockLevel.objects.all():
        key = (level.product_id, level.warehouse_id)
        assert level.on_hand == ledger[("on_hand", *key)], key
        assert level.reserved == ledger[("reserved", *key)], key
        assert level.reserved == held[key], key
    well_stocked = StockLevel.objects.filter(product__is_active=True, available__gte=100).values("product")
    assert well_stocked.distinct().count() >= 50
    # In open orders, what is not reserved waits for stock as a backorder.
    waiting = ShipmentLine.objects.filter(
        shipment__order__status__in=RESERVING,
        shipment__status__in=(ShipmentStatus.PENDING, ShipmentStatus.READY),
        reserved_quantity__lt=F("quantity"),
    ).select_related("order_line")
    assert waiting
    for line in waiting:
        assert line.order_line.backordered_quantity >= line.quantity - line.reserved_quantity


def test_totals_shipments_and_payments_add_up(demo):
    for placed in Order.objects.prefetch_related("lines", "shipments__lines", "payments"):
        lines = list(placed.lines.all())
        taxed = Decimal(0) if placed.prices_include_tax else placed.tax_amount
        assert sum(line.total_amount for line in lines) + placed.shipping_amount + taxed == placed.total_amount
        shipped = Counter()
        for shipment in placed.shipments.all():
            for line in shipment.lines.all():
                shipped[line.order_line_id] += line.quantity
        assert shipped == {line.pk: line.quantity for line in lines}, placed.number
        captured = sum(p.amount for p in placed.payments.all() if p.kind == Payment.Kind.CAPTURE)
        if placed.status == OrderStatus.COMPLETED:
            assert captured >= placed.total_amount, placed.number


def test_numbers_continue_after_the_demo_orders_and_seeding_again_adds_none(demo):
    numbers = set(Order.objects.values_list("number", flat=True))
    assert len(numbers) == ORDERS
    for sequence in NumberSequence.objects.filter(name="order"):
        used = [int(n.rsplit("-", 1)[1]) for n in numbers if n.startswith(f"SO-{sequence.year}-")]
        assert sequence.last_value == max(used)
    sku = StockLevel.objects.filter(available__gte=5, product__is_kit=False, product__is_active=True).values_list(
        "product__sku", flat=True
    )[0]

    placed = order_place(data=order((sku, 1)))

    year = placed.placed_at.year
    assert placed.number == f"SO-{year}-{NumberSequence.objects.get(name='order', year=year).last_value:06d}"
    assert placed.number not in numbers
    assert "none added" in seed_orders(random.Random(1), {"seed": 7, "orders": ORDERS})
    assert Order.objects.count() == ORDERS + 1
