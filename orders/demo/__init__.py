"""Demo orders: a history of finished orders, then the last week's orders placed through the order
services like any other, in every state an order can be in.

The recent orders (`recent.py`, RECENT_ORDERS of them) go through `order_place`, which prices,
allocates, reserves and numbers them, and then through the lifecycle and shipping services: held for
each reason, paid, cancelled, partly or wholly shipped, delivered, completed; some with two
shipments, pick-ups, coupons or backordered lines; and in the warehouse (`fulfilment.py`, with the
demo carriers) on a pick list, picked, packed, labelled, with a failed label, shipped with tracking,
and followed by the carriers' tracking reports to delivery. Their reservations and shipments are real stock
operations, so the ledger, the stock levels and the open orders agree. The history before them (the
rest of `--orders`, `history.py`) is written with set-based SQL as copies of baskets priced by the
pricing engine (`baskets.py`); it is finished, so it holds no stock. A million orders take a few
minutes that way.
"""

import random
from collections import Counter
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from inventory.models import Warehouse
from orders.demo.baskets import baskets_price, baskets_store
from orders.demo.fulfilment import carriers_seed
from orders.demo.history import History, history_write
from orders.demo.people import people_gather
from orders.demo.recent import RECENT_DAYS, STORIES, recent_place
from orders.models import Order, Shipment, WarehousePriority

DEFAULT_ORDERS = 5000
# Placed through the services (each story of orders.demo.recent twice); the rest are history.
RECENT_ORDERS = 2 * len(STORIES)
# The history spans at least a year, and longer at more than this many orders a day.
HISTORY_DAYS = 365
ORDERS_PER_DAY = 1000
# Warehouses ranked for deliveries in Great Britain (managed in the admin).
PRIORITIES = (("LDS", 1), ("BRS", 2), ("GLA", 3))


def seed_orders(rng, options) -> str:
    """`options["orders"]` demo orders (DEFAULT_ORDERS when not given); none when the database has orders
    already. order_place owns a durable transaction: call this outside any transaction."""
    count = options.get("orders")
    count = DEFAULT_ORDERS if count is None else count
    carriers = carriers_seed()
    if Order.objects.exists():
        return f"{carriers}; orders: the database has orders already, none added"
    # A generator of its own (as crm.demo has): the same orders come out of the same seed.
    rng = random.Random(f"{options.get('seed')}-orders")
    now = timezone.now().replace(second=0, microsecond=0)
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in=[code for code, _ in PRIORITIES])}
    if len(warehouses) < len(PRIORITIES):
        return "orders: none (the demo warehouses are missing)"
    for code, priority in PRIORITIES:
        WarehousePriority.objects.update_or_create(
            country="GB", region="", warehouse=warehouses[code], defaults={"priority": priority}
        )
    people = people_gather(rng, warehouses)
    recent = min(RECENT_ORDERS, count // 2)
    if count > recent:
        _history(rng, count - recent, now, people, warehouses, options.get("seed") or 0)
    recent_place(rng, recent, now, people, warehouses, after=count - recent)
    return f"{carriers}; {_summary()}"


@transaction.atomic
def _history(rng, count: int, now, people, warehouses, seed: int) -> None:
    # Priced as of six weeks ago: after the summer sale and before this month's promotions, so what
    # applies is what always does (tier discounts, spend thresholds, free delivery).
    baskets = baskets_price(rng, at=now - timedelta(days=42))
    if not baskets:
        return
    baskets_store(baskets, people)
    end = now - timedelta(days=RECENT_DAYS)
    customers = sum(1 for person in people if person.customer)
    clerk = User.objects.filter(username="clerk").first()
    history_write(
        History(
            count=count,
            start=end - timedelta(days=max(HISTORY_DAYS, count // ORDERS_PER_DAY)),
            end=end,
            seed=seed,
            currency=baskets[0].priced.currency,
            prices_include_tax=baskets[0].priced.prices_include_tax,
            warehouses={code: w.pk for code, w in warehouses.items()},
            customers=customers,
            guests=len(people) - customers,
            clerk_id=clerk.pk if clerk else None,
            clerk_name=(clerk.get_full_name() or clerk.username) if clerk else "",
        )
    )


def _summary() -> str:
    statuses = Counter(dict(Order.objects.values_list("status").annotate(Count("id")).order_by()))
    shipments = Shipment.objects.count()
    pickups = Shipment.objects.filter(is_pickup=True).count()
    listed = ", ".join(f"{number} {status.replace('_', ' ')}" for status, number in statuses.most_common())
    return f"{sum(statuses.values())} orders ({listed}), {shipments} shipments ({pickups} pick-ups)"
