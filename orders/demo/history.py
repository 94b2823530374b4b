"""The demo shop's order history: thousands (or, for benchmarks, a million) of past orders written with
set-based SQL, as the order services would have left them.

Every history order is a copy of a basket the pricing engine priced (orders.demo.baskets),
so lines, discounts, tax, shipping and totals add up exactly as for a placed order. History orders
are all finished: shipped, delivered, completed or cancelled. None of them holds a reservation, and
none posts stock movements, so the stock ledger and its balances are untouched: the history is what
happened before the opening stock was counted. Numbers run per year in order of placing, and the
number sequences end past the highest number used, so the next order placed takes the next number.

Pseudo-random choices come from hashing the order's position with the seed (hashint8extended), so the
same seed gives the same history, whatever its size.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderLine, Payment, Shipment, ShipmentLine
from orders.states import OrderStatus, PaymentStatus

CARRIERS = ("Royal Mail", "DPD", "Evri", "Parcelforce")
PICKUP_CARRIER = "Store pick-up"
CANCEL_REASONS = (
    "Customer changed their mind",
    "Duplicate order",
    "Payment not received in time",
    "Out of stock: customer chose to wait for the next delivery",
)
# Share of history orders (in percent) by what became of them; the rest completed.
CANCELLED_PERCENT = 4
# Orders younger than this may still be in transit; those up to a month old may wait for their money.
IN_TRANSIT = timedelta(days=9)
AWAITING_MONEY = timedelta(days=30)
# A history this large gets its planner statistics at once (autovacuum would only get there later).
LARGE = 50_000


@dataclass(frozen=True)
class History:
    count: int
    start: datetime
    end: datetime
    seed: int
    currency: str
    prices_include_tax: bool
    # {warehouse code: id}: LDS ships most orders, BRS and GLA the rest and their pick-ups.
    warehouses: dict[str, int]
    # demo_person holds the known customers first (customer_id set), then the guests.
    customers: int
    guests: int
    clerk_id: int | None
    clerk_name: str


def history_write(history: History) -> dict[str, int]:
    """Write `history.count` orders placed between `start` and `end`, oldest first, from the baskets and
    people in the temporary tables that orders.demo.baskets.baskets_store fills. Returns the number of
    rows written per table."""
    written = {}
    with connection.cursor() as cursor:
        # A bulk load: room for sorts and hashes. No JIT: compiling takes longer than these statements
        # run, which the planner cannot tell (it guesses a thousand rows for each generate_series).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_ROLL.replace("SEED", str(int(history.seed))))
        # The ids are taken as one block, so the plan knows each order's id before it is written.
        cursor.execute("SELECT nextval(pg_get_serial_sequence('orders_order', 'id'))")
        first_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('orders_order', 'id'), %s)", [first_id + history.count - 1]
        )
        parameters = _parameters(history, first_id)
        cursor.execute(_PLAN, parameters)
        cursor.execute("ANALYZE demo_plan")
        tables = [model._meta.db_table for model, _ in _INSERTS]
        restore = _set_aside(cursor, tables)
        for model, statement in _INSERTS:
            statement, defaults = _with_defaults(model, statement)
            cursor.execute(statement, {**parameters, **defaults})
            written[model._meta.db_table] = cursor.rowcount
        for statement in restore:
            cursor.execute(statement)
        cursor.execute(_NUMBERS)
        cursor.execute("DROP TABLE demo_plan")
        if history.count >= LARGE:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
    return written


def _set_aside(cursor, tables: list[str]) -> list[str]:
    """Drop the tables' foreign keys and their indexes other than the primary key and unique constraints;
    return the statements that put them back.

    Building an index once over a million rows is much quicker than adding the rows to it one by one,
    and adding a foreign key checks every row in one join instead of a trigger for each row at commit
    (seconds even for the default five thousand orders). All within the seeding transaction, so
    nothing is lost if it fails; the tables hold no orders before (orders.demo seeds only then)."""
    cursor.execute(
        """
        SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        UNION ALL
        SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
               format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
                      pg_get_constraintdef(c.oid))
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
        """,
        [tables, tables],
    )
    pairs = cursor.fetchall()
    # Checks still pending in this transaction (the seeders before, in a test) must run before a table
    # they concern is altered; they run now, and foreign keys are deferred again once put back.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for drop, _ in pairs:
        cursor.execute(drop)
    # Indexes first, then the foreign keys, each checked in one join.
    restore = sorted((create for _, create in pairs), key=lambda statement: statement.startswith("ALTER"))
    return [*restore, "SET CONSTRAINTS ALL DEFERRED"]


def _with_defaults(model, statement: str) -> tuple[str, dict]:
    """The statement with the model's other columns added, each set to the field's default: the history
    is written the way the model would write it, whatever fields it has gained since."""
    given = {column.strip() for column in re.search(r"\(([^)]*)/\*columns\*/\)", statement).group(1).split(",")}
    missing = [f for f in model._meta.concrete_fields if f.column not in given and not f.primary_key]
    defaults = {}
    for field in missing:
        value = timezone.now() if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else None
        defaults[f"default_{field.column}"] = field.get_db_prep_save(value or field.get_default(), connection)
    columns = "".join(f", {field.column}" for field in missing)
    values = "".join(f", %(default_{field.column})s" for field in missing)
    return statement.replace(" /*columns*/", columns).replace(" /*values*/", values), defaults


def _parameters(history: History, first_id: int) -> dict:
    return {
        "count": history.count,
        "first_id": first_id,
        "start": history.start,
        "step": (history.end - history.start).total_seconds() / max(history.count, 1),
        "in_transit": history.end - IN_TRANSIT,
        "awaiting_money": history.end - AWAITING_MONEY,
        "cancelled": CANCELLED_PERCENT,
        "customer_share": 70 if history.customers else 0,
        "customers": max(history.customers, 1),
        "guests": max(history.guests, 1),
        "lds": history.warehouses["LDS"],
        "brs": history.warehouses["BRS"],
        "gla": history.warehouses["GLA"],
        "clerk": history.clerk_id,
        "clerk_name": history.clerk_name,
        "carriers": list(CARRIERS),
        "carrier_count": len(CARRIERS),
        "pickup_carrier": PICKUP_CARRIER,
        "cancel_reasons": list(CANCEL_REASONS),
        "cancel_reason_count": len(CANCEL_REASONS),
        "currency": history.currency,
        "included": history.prices_include_tax,
    }


# roll(n, salt, m): a pseudo-random 0..m-1 for the n-th order, fixed by the seed. A session-local SQL
# function, so the statements below stay readable; PostgreSQL inlines it.
_ROLL = """
CREATE OR REPLACE FUNCTION pg_temp.roll(n bigint, salt int, m int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT ((hashint8extended(n, SEED::bigint * 1000 + salt) & 2147483647) % m)::int'
"""

_S = OrderStatus
_P = PaymentStatus

# One row per history order with every choice made: who, which basket, where from, what became of it.
_PLAN = f"""
CREATE TEMP TABLE demo_plan ON COMMIT DROP AS
WITH chosen AS MATERIALIZED (
    SELECT n,
           %(start)s::timestamptz + make_interval(secs => floor((n - 1 + pg_temp.roll(n, 1, 1000) / 1000.0)
               * %(step)s)) AS placed_at,
           -- Seven orders in ten come from known customers, the rest from guests.
           CASE WHEN pg_temp.roll(n, 2, 100) < %(customer_share)s THEN pg_temp.roll(n, 3, %(customers)s)
                ELSE %(customers)s + pg_temp.roll(n, 3, %(guests)s) END AS p
    FROM generate_series(1, %(count)s) AS n
), with_basket AS (
    SELECT c.*, extract(year FROM c.placed_at AT TIME ZONE 'UTC')::int AS year, person.on_account,
           person.warehouse AS home_warehouse, tier.first_basket + pg_temp.roll(n, 4, tier.baskets) AS t
    FROM chosen c JOIN demo_person person USING (p) JOIN demo_tier tier USING (tier)
), with_payment AS MATERIALIZED (
    SELECT w.*, b.channel, b.pickup, b.lines,
           CASE WHEN b.channel = 'pos' THEN 'prepaid'
                WHEN w.on_account AND pg_temp.roll(n, 5, 100) < 70 THEN 'account'
                WHEN b.channel = 'phone' AND pg_temp.roll(n, 5, 100) < 45 THEN 'cod'
                WHEN b.channel = 'web' AND pg_temp.roll(n, 5, 100) < 6 THEN 'cod'
                ELSE 'prepaid' END AS payment_method
    FROM with_basket w JOIN demo_basket b USING (t)
), with_status AS MATERIALIZED (
    SELECT w.*,
           CASE WHEN w.channel = 'pos' THEN '{_S.COMPLETED}'
                WHEN pg_temp.roll(n, 6, 100) < %(cancelled)s THEN '{_S.CANCELLED}'
                WHEN w.placed_at >= %(in_transit)s AND pg_temp.roll(n, 7, 100) < 40 THEN '{_S.SHIPPED}'
                WHEN w.placed_at >= %(in_transit)s THEN '{_S.DELIVERED}'
                WHEN w.placed_at >= %(awaiting_money)s AND w.payment_method <> 'prepaid'
                     AND pg_temp.roll(n, 7, 100) < 60 THEN '{_S.DELIVERED}'
                ELSE '{_S.COMPLETED}' END AS status,
           (row_number() OVER (PARTITION BY w.year ORDER BY n)) + coalesce(numbers.last_value, 0) AS sequence
    FROM with_payment w
    LEFT JOIN backoffice_numbersequence numbers ON numbers.name = 'order' AND numbers.year = w.year
)
SELECT s.*,
       %(first_id)s + n - 1 AS id,
       'SO-' || s.year || '-' || lpad(s.sequence::text, greatest(6, length(s.sequence::text)), '0') AS number,
       CASE s.status
           WHEN '{_S.CANCELLED}' THEN
               CASE WHEN s.payment_method = 'prepaid' AND pg_temp.roll(n, 8, 100) < 60 THEN '{_P.REFUNDED}'
                    ELSE '{_P.UNPAID}' END
           WHEN '{_S.SHIPPED}' THEN CASE WHEN s.payment_method = 'prepaid' THEN '{_P.PAID}' ELSE '{_P.UNPAID}' END
           WHEN '{_S.DELIVERED}' THEN
               CASE s.payment_method WHEN 'prepaid' THEN '{_P.PAID}' WHEN 'cod' THEN '{_P.COLLECTED}'
                    ELSE '{_P.UNPAID}' END
           ELSE CASE WHEN s.payment_method = 'prepaid' AND pg_temp.roll(n, 8, 1000) < 12
                     THEN '{_P.PARTIALLY_REFUNDED}' ELSE '{_P.PAID}' END
       END AS payment_status,
       CASE WHEN s.pickup THEN (CASE WHEN pg_temp.roll(n, 9, 3) = 0 THEN %(gla)s ELSE %(brs)s END)
            WHEN pg_temp.roll(n, 9, 100) < 85 THEN s.home_warehouse
            ELSE (ARRAY[%(lds)s, %(lds)s, %(brs)s, %(gla)s])[1 + pg_temp.roll(n, 10, 4)] END AS warehouse,
       -- What the first warehouse lacked came from another one: a second shipment.
       (NOT s.pickup AND s.lines > 1 AND pg_temp.roll(n, 11, 100) < 12) AS split,
       CASE WHEN s.channel IN ('phone', 'trade_show', 'pos') THEN %(clerk)s::bigint END AS created_by,
       CASE s.channel
           WHEN 'web' THEN 'SHOP-' || (100000 + n)
           WHEN 'marketplace' THEN (200 + pg_temp.roll(n, 12, 800)) || '-'
               || lpad(pg_temp.roll(n, 13, 10000000)::text, 7, '0') || '-' || lpad(n::text, 7, '0')
           WHEN 'api' THEN 'B2B-' || lpad(n::text, 8, '0')
           ELSE '' END AS external_id,
       s.placed_at + make_interval(hours => 18 + pg_temp.roll(n, 14, 30)) AS shipped_at,
       s.placed_at + make_interval(hours => 42 + pg_temp.roll(n, 15, 60)) AS delivered_at,
       (%(cancel_reasons)s::text[])[1 + pg_temp.roll(n, 16, %(cancel_reason_count)s)] AS cancel_reason,
       (%(carriers)s::text[])[1 + pg_temp.roll(n, 18, %(carrier_count)s)] AS carrier
FROM with_status s
"""

_ORDERS = """
INSERT INTO orders_order (id, number, channel, external_id, customer_id, customer_name, email, phone,
    billing_address, status, hold_reason, payment_method, payment_status, currency, prices_include_tax,
    subtotal_amount, discount_amount, shipping_amount, tax_amount, total_amount, coupon_codes, pricing,
    notes_customer, notes_internal, placed_at, created_by_id, created_at, updated_at /*columns*/)
SELECT plan.id, plan.number, b.channel, plan.external_id, person.customer_id, person.name, person.email,
       person.phone, person.billing, plan.status, '', plan.payment_method, plan.payment_status, %(currency)s,
       %(included)s, b.subtotal, b.discount, b.shipping, b.tax, b.total, '[]', b.pricing, '', '', plan.placed_at,
       plan.created_by, plan.placed_at,
       CASE plan.status WHEN 'cancelled' THEN plan.placed_at + interval '3 hours'
                        WHEN 'shipped' THEN plan.shipped_at ELSE plan.delivered_at END /*values*/
FROM demo_plan plan JOIN demo_basket b USING (t) JOIN demo_person person USING (p)
ORDER BY plan.id
"""

_LINES = """
INSERT INTO orders_orderline (order_id, position, product_id, sku, name, quantity, backordered_quantity,
    unit_price, price_source, base_amount, discount_amount, total_amount, tax_rate, tax_amount, adjustments /*columns*/)
SELECT plan.id, l.position, l.product_id, l.sku, l.name, l.quantity, 0, l.unit_price, l.price_source, l.base,
       l.discount, l.total, l.tax_rate, l.tax, l.adjustments /*values*/
FROM demo_plan plan JOIN demo_basket_line l USING (t)
ORDER BY plan.id, l.position
"""

# A split order's second shipment comes from another warehouse; the delivery's charge goes with the first
# (as order_place records it: the method's price, whatever the order's promotions made of it).
_SHIPMENTS = """
INSERT INTO orders_shipment (order_id, position, warehouse_id, is_pickup, ship_to, shipping_method,
    shipping_amount, status, carrier, tracking_number, shipped_at, delivered_at, created_at, updated_at /*columns*/)
SELECT plan.id, part.position,
       CASE WHEN part.position = 1 THEN plan.warehouse
            WHEN plan.warehouse <> %(lds)s THEN %(lds)s
            WHEN pg_temp.roll(plan.n, 17, 2) = 0 THEN %(brs)s ELSE %(gla)s END,
       b.pickup, CASE WHEN b.pickup THEN '{}'::jsonb ELSE person.ship_to END, b.method,
       CASE WHEN part.position = 1 THEN b.charge ELSE 0 END,
       CASE plan.status WHEN 'cancelled' THEN 'cancelled' WHEN 'shipped' THEN 'shipped' ELSE 'delivered' END,
       CASE WHEN plan.status = 'cancelled' THEN '' WHEN b.pickup THEN %(pickup_carrier)s ELSE plan.carrier END,
       CASE WHEN plan.status = 'cancelled' OR b.pickup THEN ''
            ELSE 'TRK' || lpad((plan.id * 10 + part.position)::text, 12, '0') END,
       CASE WHEN plan.status = 'cancelled' THEN NULL WHEN b.pickup THEN plan.delivered_at ELSE plan.shipped_at END,
       CASE WHEN plan.status IN ('delivered', 'completed') THEN plan.delivered_at END,
       plan.placed_at,
       CASE WHEN plan.status = 'cancelled' THEN plan.placed_at + interval '3 hours'
            WHEN plan.status = 'shipped' THEN plan.shipped_at ELSE plan.delivered_at END /*values*/
FROM demo_plan plan JOIN demo_basket b USING (t) JOIN demo_person person USING (p)
CROSS JOIN LATERAL generate_series(1, CASE WHEN plan.split THEN 2 ELSE 1 END) AS part(position)
ORDER BY plan.id, part.position
"""

_SHIPMENT_LINES = """
INSERT INTO orders_shipmentline (shipment_id, order_line_id, quantity, reserved_quantity /*columns*/)
SELECT s.id, l.id, l.quantity, 0 /*values*/
FROM demo_plan plan
JOIN orders_orderline l ON l.order_id = plan.id
JOIN orders_shipment s ON s.order_id = plan.id
    AND s.position = CASE WHEN plan.split AND l.position > 1 THEN 2 ELSE 1 END
ORDER BY s.id, l.id
"""

# What was paid and given back, as the order services record it: captures for card payments, bank
# transfers and carriers' remittances of cash on delivery, the cash the carrier collected, refunds.
_PAYMENTS = """
INSERT INTO orders_payment (order_id, kind, method, amount, reference, actor_id, created_at /*columns*/)
SELECT plan.id, payment.kind, plan.payment_method, payment.amount, payment.reference, NULL, payment.at /*values*/
FROM demo_plan plan JOIN demo_basket b USING (t)
CROSS JOIN LATERAL (VALUES
    ('capture', b.total, 'CARD-' || lpad(pg_temp.roll(plan.n, 30, 1000000)::text, 6, '0'), plan.placed_at,
     plan.payment_method = 'prepaid' AND plan.payment_status IN ('paid', 'refunded', 'partially_refunded')),
    ('cod_collected', b.total, 'TRK' || lpad((plan.id * 10 + 1)::text, 12, '0'), plan.delivered_at,
     plan.payment_method = 'cod' AND plan.status IN ('delivered', 'completed')),
    ('capture', b.total, 'Carrier remittance ' || to_char(plan.delivered_at + interval '7 days', 'IYYY-"W"IW'),
     plan.delivered_at + interval '7 days', plan.payment_method = 'cod' AND plan.status = 'completed'),
    ('capture', b.total, 'BACS ' || plan.number, plan.delivered_at + interval '20 days',
     plan.payment_method = 'account' AND plan.status = 'completed'),
    ('refund', b.total, 'Refund: order cancelled', plan.placed_at + interval '3 hours',
     plan.payment_status = 'refunded'),
    ('refund', least(b.total, 5.00), 'Goodwill: late delivery', plan.delivered_at + interval '2 days',
     plan.payment_status = 'partially_refunded')
) AS payment(kind, amount, reference, at, applies)
WHERE payment.applies
ORDER BY plan.id
"""

_EVENTS = """
INSERT INTO orders_orderevent (order_id, kind, message, old_value, new_value, actor_id, created_at /*columns*/)
SELECT plan.id, event.kind, event.message, event.old_value, event.new_value, event.actor, event.at /*values*/
FROM demo_plan plan JOIN demo_basket b USING (t)
CROSS JOIN LATERAL (VALUES
    (1, 'placed', 'Order placed by ' || CASE WHEN plan.created_by IS NULL THEN 'the system' ELSE %(clerk_name)s END
        || ' via ' || b.channel_label, NULL::jsonb, to_jsonb(b.total::text), plan.created_by, plan.placed_at),
    (2, 'status', CASE plan.status WHEN 'cancelled' THEN 'Cancelled: ' || plan.cancel_reason
                                   WHEN 'shipped' THEN 'Shipped'
                                   WHEN 'delivered' THEN 'Delivered'
                                   ELSE 'Completed: delivered and paid' END,
        to_jsonb('ready'::text), to_jsonb(plan.status), NULL::bigint,
        CASE plan.status WHEN 'cancelled' THEN plan.placed_at + interval '3 hours'
                         WHEN 'shipped' THEN plan.shipped_at ELSE plan.delivered_at END)
) AS event(position, kind, message, old_value, new_value, actor, at)
ORDER BY plan.id, event.position
"""

_INSERTS = (
    (Order, _ORDERS),
    (OrderLine, _LINES),
    (Shipment, _SHIPMENTS),
    (ShipmentLine, _SHIPMENT_LINES),
    (Payment, _PAYMENTS),
    (OrderEvent, _EVENTS),
)

# The sequences continue after the history: the next order placed in any of its years takes a new number.
_NUMBERS = """
INSERT INTO backoffice_numbersequence (name, year, last_value)
SELECT 'order', year, max(sequence) FROM demo_plan GROUP BY year
ON CONFLICT (name, year) DO UPDATE
SET last_value = greatest(backoffice_numbersequence.last_value, excluded.last_value)
"""
