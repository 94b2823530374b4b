"""The last week's demo orders, placed through `order_place` and taken on through the lifecycle and
shipping services, so that every state an order can be in has a few, with real reservations and
shipments behind them."""

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from inventory.models import Product, StockLevel
from orders.demo.fulfilment import REPORTS, fulfil
from orders.demo.people import Person
from orders.models import Order, OrderEvent, OrderLine, Shipment
from orders.services import lifecycle, shipping
from orders.services.placement import AddressInput, LineInput, OrderInput, ShipmentInput, order_place
from orders.states import HoldReason, PaymentMethod
from pricing.models import Channel, Coupon

RECENT_DAYS = 7
# Best sellers stay orderable: no demo order takes their main warehouse below this many available.
KEEP_AVAILABLE = 100
BEST_SELLERS = 55
# What becomes of each recent order, in turn.
STORIES = (
    "ready",
    "hold_payment",
    "paid",
    "two_shipments",
    "account",
    "pickup",
    "hold_credit",
    "cancelled",
    "authorised",
    "hold_address",
    "coupon",
    "backorder",
    "partially_shipped",
    "paid",
    "shipped",
    "hold_manual",
    "walk_in",
    "delivered",
    "completed",
    "coupon",
    # The warehouse's side (orders.demo.fulfilment): a pick list, picked, packed, labelled, a label
    # that failed, a local courier, and the carrier's reports on parcels on their way.
    "picking",
    "picked",
    "packed",
    "labelled",
    "label_failed",
    "courier",
    "in_transit",
    "out_for_delivery",
    "delivery_exception",
)
# Stories told on the phone and paid on delivery: the order is ready as soon as it is placed.
PHONED_IN = {
    "ready", "hold_address", "hold_manual", "cancelled", "shipped", "delivered", "completed", "backorder",
    "picking", "picked", "packed", "labelled", "label_failed", "courier", "in_transit", "out_for_delivery",
    "delivery_exception",
}  # fmt: skip


# Stories whose parcels the carrier reported on after they left (their timelines run on until now).
REPORTED = {*REPORTS, "shipped", "courier", "partially_shipped"}


class _Shop:
    """What the recent orders need to know while they are placed: who orders, what is in stock."""

    def __init__(self, rng, people: list[Person], warehouses: dict):
        self.rng = rng
        self.customers = [p for p in people if p.customer]
        self.guests = [p for p in people if not p.customer]
        self.warehouses = warehouses
        self.main = warehouses["LDS"]
        products = list(Product.objects.filter(is_kit=False, is_active=True).order_by("sku"))
        self.best, self.rest = products[:BEST_SELLERS], products[BEST_SELLERS:]
        self.stock: dict[int, dict[int, int]] = {}
        self.refresh([p.pk for p in products])
        self.clerk = User.objects.filter(username="clerk").first()
        self.packer = User.objects.filter(username="warehouse").first()
        self.coupon_users: set[int] = set()
        self.mail_codes = list(
            Coupon.objects.filter(batch__isnull=False).order_by("code").values_list("code", flat=True)[:20]
        )

    def refresh(self, product_ids) -> None:
        for product_id, warehouse_id, available in StockLevel.objects.filter(
            product_id__in=list(product_ids), warehouse__is_active=True
        ).values_list("product_id", "warehouse_id", "available"):
            self.stock.setdefault(product_id, {})[warehouse_id] = available

    def available(self, product: Product, warehouse=None) -> int:
        levels = self.stock.get(product.pk, {})
        if warehouse is not None:
            return levels.get(warehouse.pk, 0)
        return sum(max(units, 0) for units in levels.values())

    def lines(self, count: int, *, warehouse=None) -> list[LineInput]:
        """Up to `count` lines of products in stock (at `warehouse`, for a pick-up), best sellers more
        often, leaving each best seller at least KEEP_AVAILABLE in the main warehouse."""
        chosen: list[LineInput] = []
        for _ in range(count):
            pool = self.best if self.rng.random() < 0.6 else self.rest
            for product in self.rng.sample(pool, len(pool)):
                quantity = 1 if self.rng.random() < 0.75 else 2
                main = self.available(product, self.main)
                if product.sku in {line.sku for line in chosen} or self.available(product, warehouse) < quantity:
                    continue
                if warehouse is None and main >= KEEP_AVAILABLE > main - quantity:
                    continue
                chosen.append(LineInput(product.sku, quantity))
                break
        return chosen

    def short_line(self) -> LineInput | None:
        """A line for more than the warehouses hold together; the rest waits for a delivery."""
        for product in self.rest:
            available = self.available(product)
            if available <= 3:
                return LineInput(product.sku, available + 2, allow_backorder=True)
        return None


def recent_place(rng, count: int, now, people: list[Person], warehouses: dict, *, after: int = 0) -> None:
    """`count` orders placed over the RECENT_DAYS before `now`, each in its own transaction; `after`
    history orders came before them (their channels' order ids go on from there)."""
    if not count:
        return
    shop = _Shop(rng, people, warehouses)
    span = timedelta(days=RECENT_DAYS) - timedelta(minutes=30)
    moments = sorted(now - timedelta(days=RECENT_DAYS) + span * ((n + rng.random()) / count) for n in range(count))
    for number, at in enumerate(moments):
        story = STORIES[number % len(STORIES)]
        data = _order_input(shop, story, at, after + number + 1)
        if data is None:
            continue
        actor = shop.clerk if data.channel in (Channel.PHONE, Channel.TRADE_SHOW, Channel.POS) else None
        order = order_place(data=data, actor=actor, at=at)
        # It happened then, not at the seeding: its shipments have waited in the queue since (the
        # queue's age), and its timeline starts then.
        Shipment.objects.filter(order=order).update(created_at=at)
        Order.objects.filter(pk=order.pk).update(created_at=at)
        placed_events = OrderEvent.objects.filter(order=order)
        last_placed = max(placed_events.values_list("pk", flat=True), default=0)
        placed_events.update(created_at=at)
        _follow(shop, story, order, at, now)
        _date_follow_up(order, story, after_event=last_placed, at=at, now=now)
        shop.refresh(OrderLine.objects.filter(order=order).values_list("product_id", flat=True))


def _date_follow_up(order: Order, story: str, *, after_event: int, at, now) -> None:
    """Spread what followed the placing over the time the story took, in the order it happened: the
    warehouse's work the next day, and for parcels on their way the carrier's reports until now."""
    # A walk-in customer takes the goods at the till, at once.
    start = at if story == "walk_in" else min(at + timedelta(hours=20), now - timedelta(minutes=5))
    end = min(start + timedelta(hours=18), now - timedelta(minutes=1)) if story in REPORTED else start
    events = list(
        OrderEvent.objects.filter(order=order, pk__gt=after_event).order_by("pk").values_list("pk", flat=True)
    )
    step = (end - start) / max(len(events) - 1, 1)
    for index, pk in enumerate(events):
        OrderEvent.objects.filter(pk=pk).update(created_at=start + step * index)


def _order_input(shop: _Shop, story: str, at, number: int) -> OrderInput | None:
    rng = shop.rng
    person = rng.choice(shop.customers if shop.customers and rng.random() < 0.7 else shop.guests)
    channel = rng.choice(("web", "web", "phone", "marketplace", "api", "trade_show"))
    method, paid_reference, coupons = PaymentMethod.PREPAID, "", ()
    lines = shop.lines(rng.choices((1, 2, 3), weights=(45, 40, 15))[0])
    shipments: tuple[ShipmentInput, ...] = (_delivery(rng, person.ship_to),)
    if story in PHONED_IN:
        channel, method = "phone", PaymentMethod.COD
    if story in ("paid", "coupon"):
        paid_reference = f"CARD-{rng.randrange(10**6):06d}"
        channel = "web" if story == "coupon" else rng.choice(("web", "marketplace", "api"))
    elif story in ("account", "hold_credit"):
        # Within a credit limit, or from a business without one (which goes on credit hold).
        if story == "account":
            trade = [p for p in shop.customers if p.on_account]
        else:
            trade = [p for p in shop.customers if p.customer.is_business and not p.customer.credit_limit_amount]
        if not trade:
            return None
        person, channel, method = rng.choice(trade), "phone", PaymentMethod.ACCOUNT
        shipments = (_delivery(rng, person.ship_to),)
    elif story in ("two_shipments", "partially_shipped"):
        # Half to the customer, half to someone else (a gift), each with its own delivery.
        lines = shop.lines(2)
        channel, method = "phone", PaymentMethod.COD
        if len(lines) == 2:
            first = replace(_delivery(rng, person.ship_to), lines=((0, lines[0].quantity),))
            shipments = (first, _delivery(rng, rng.choice(shop.guests).ship_to))
    elif story in ("pickup", "walk_in"):
        store = shop.warehouses[rng.choice(("BRS", "GLA"))]
        lines = shop.lines(1 if story == "walk_in" else 2, warehouse=store)
        shipments = (ShipmentInput(pickup_warehouse=store.code, shipping_method="Pick-up"),)
        if story == "walk_in":
            channel, paid_reference = "pos", f"POS-{rng.randrange(10**6):06d}"
    if story == "coupon":
        # WELCOME10 is for a customer's first use only: each coupon order is a different customer's.
        person = rng.choice([p for p in shop.customers if p.customer.pk not in shop.coupon_users] or [person])
        if person.customer:
            shop.coupon_users.add(person.customer.pk)
        coupons = (_coupon(shop, at),)
        shipments = (_delivery(rng, person.ship_to),)
    elif story == "backorder":
        short = shop.short_line()
        lines = [*lines[:1], short] if short else lines
    if not lines:
        return None
    return OrderInput(
        channel=channel,
        lines=tuple(lines),
        shipments=shipments,
        payment_method=method,
        customer_id=person.customer.pk if person.customer else None,
        customer_name=person.name,
        email=person.email,
        phone=person.phone,
        billing_address=person.billing,
        coupon_codes=coupons,
        external_id=_external_id(rng, channel, number),
        paid_reference=paid_reference,
        notes_customer="Please leave with a neighbour if out." if rng.random() < 0.1 else "",
    )


def _delivery(rng, address: AddressInput) -> ShipmentInput:
    method = "express" if rng.random() < 0.15 else "standard"
    return ShipmentInput(ship_to=address, shipping_method=method, shipping_price=settings.SHIPPING_METHODS[method])


def _coupon(shop: _Shop, at) -> str:
    # Each code while its promotion runs (pricing.demo's dates count from the seeding, a moment ago).
    if at > timezone.now() - timedelta(hours=20):
        return "FLASH25"
    if shop.mail_codes and at > timezone.now() - timedelta(days=6):
        return shop.mail_codes.pop()
    return "WELCOME10"


def _external_id(rng, channel: str, number: int) -> str:
    """The channel's own id for the `number`-th demo order, as the history makes them (orders.demo.history)."""
    if channel == "web":
        return f"SHOP-{100000 + number}"
    if channel == "api":
        return f"B2B-{number:08d}"
    if channel == "marketplace":
        return f"{rng.randrange(200, 1000)}-{rng.randrange(10**7):07d}-{number:07d}"
    return ""


def _follow(shop: _Shop, story: str, order: Order, at, now) -> None:
    """What happened to the order after it was placed, through the services that make it happen."""
    clerk = shop.clerk
    later = min(at + timedelta(hours=20), now - timedelta(minutes=5))
    if story == "hold_address":
        lifecycle.order_hold(
            order_id=order.pk, reason=HoldReason.ADDRESS_CHECK, note="Postcode and street disagree", actor=clerk
        )
    elif story == "hold_manual":
        lifecycle.order_hold(
            order_id=order.pk, reason=HoldReason.MANUAL, note="Customer will add to the order", actor=clerk
        )
    elif story == "cancelled":
        lifecycle.order_cancel(order_id=order.pk, reason="Customer changed their mind", actor=clerk)
    elif story == "authorised":
        lifecycle.order_payment_record(
            order_id=order.pk, amount=order.total_amount, reference=f"AUTH-{order.pk}", kind="authorisation"
        )
    shipments = list(Shipment.objects.filter(order=order).order_by("position").values_list("pk", flat=True))
    if story == "walk_in":
        shipping.shipment_ship(shipment_id=shipments[0], actor=shop.packer, at=at)
    else:
        chosen = shipments[:1] if story == "partially_shipped" else shipments
        fulfil(story, chosen, packer=shop.packer, shipped_at=later, now=now)
    if story == "completed":
        # The carrier remits the cash it collected: the order is paid, and so complete.
        lifecycle.order_payment_record(
            order_id=order.pk, amount=order.total_amount, reference="Carrier remittance", actor=clerk
        )
