"""Hypothesis drives long random sequences of stock operations; after every step the balances must
equal the sums of the ledger and a simple model of what the stock should be."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from inventory import services
from inventory.exceptions import InventoryError
from inventory.models import BALANCE_OF_KIND, BinStock, StockLevel, StockMovement
from inventory.services import StockLine
from tests.inventory.factories import (
    BinFactory,
    KitComponentFactory,
    KitFactory,
    ProductFactory,
    WarehouseFactory,
)

quantities = st.integers(min_value=1, max_value=12)


class StockLedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.warehouses = [WarehouseFactory(), WarehouseFactory()]
        self.bins = [BinFactory(warehouse=w) for w in self.warehouses for _ in range(2)]
        self.quarantine = {w.pk: BinFactory(warehouse=w, is_quarantine=True) for w in self.warehouses}
        self.products = [ProductFactory(cost_price=Decimal("1")) for _ in range(3)]
        self.kit = KitFactory()
        KitComponentFactory(kit=self.kit, component=self.products[0], quantity=2)
        KitComponentFactory(kit=self.kit, component=self.products[1], quantity=1)
        # The model: what each balance must be, kept by this test alone.
        self.on_hand = Counter()  # (product, warehouse)
        self.reserved = Counter()
        self.quarantined = Counter()
        self.in_bin = Counter()  # (product, bin)
        self.picked = Counter()  # (product, warehouse): picked, not yet shipped

    # --- helpers ---------------------------------------------------------------------------------
    def attempt(self, ok, operation, apply):
        """Run a service, which must succeed exactly when the model says the operation is possible;
        on success apply its effect to the model."""
        try:
            operation()
        except InventoryError as error:
            assert not ok, f"refused although possible: {error}"
            return
        assert ok, "allowed although the model says it is not possible"
        apply()

    def available(self, product, warehouse):
        return self.on_hand[(product.pk, warehouse.pk)] - self.reserved[(product.pk, warehouse.pk)]

    # --- rules -----------------------------------------------------------------------------------
    @rule(p=st.integers(0, 2), b=st.integers(0, 3), q=quantities, cost=st.integers(1, 999))
    def receive(self, p, b, q, cost):
        product, bin_ = self.products[p], self.bins[b]
        services.stock_receive(
            warehouse_id=bin_.warehouse_id, lines=[StockLine(product.pk, q, bin_.pk, Decimal(cost) / 100)]
        )
        self.on_hand[(product.pk, bin_.warehouse_id)] += q
        self.in_bin[(product.pk, bin_.pk)] += q

    @rule(p=st.integers(0, 2), b=st.integers(0, 3), q=st.integers(-12, 12).filter(bool))
    def adjust(self, p, b, q):
        product, bin_ = self.products[p], self.bins[b]
        key, bin_key = (product.pk, bin_.warehouse_id), (product.pk, bin_.pk)
        ok = self.on_hand[key] + q >= self.reserved[key] and self.in_bin[bin_key] + q >= 0

        def apply():
            self.on_hand[key] += q
            self.in_bin[bin_key] += q

        self.attempt(
            ok,
            lambda: services.stock_adjust(
                product_id=product.pk,
                warehouse_id=bin_.warehouse_id,
                quantity=q,
                reason="test",
                bin_id=bin_.pk,
            ),
            apply,
        )

    @rule(p=st.integers(0, 2), w=st.integers(0, 1), q=quantities)
    def reserve(self, p, w, q):
        product, warehouse = self.products[p], self.warehouses[w]
        key = (product.pk, warehouse.pk)
        ok = self.available(product, warehouse) >= q

        def apply():
            self.reserved[key] += q

        self.attempt(
            ok,
            lambda: services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, q)]),
            apply,
        )

    @rule(w=st.integers(0, 1), q=st.integers(1, 4))
    def reserve_kit(self, w, q):
        warehouse = self.warehouses[w]
        needs = {self.products[0].pk: 2 * q, self.products[1].pk: q}
        ok = all(self.on_hand[(p, warehouse.pk)] - self.reserved[(p, warehouse.pk)] >= n for p, n in needs.items())

        def apply():
            for product, n in needs.items():
                self.reserved[(product, warehouse.pk)] += n

        self.attempt(
            ok,
            lambda: services.stock_reserve(warehouse_id=warehouse.pk, lines=[StockLine(self.kit.pk, q)]),
            apply,
        )

    @rule(p=st.integers(0, 2), w=st.integers(0, 1), q=quantities)
    def release(self, p, w, q):
        product, warehouse = self.products[p], self.warehouses[w]
        key = (product.pk, warehouse.pk)
        ok = self.reserved[key] - self.picked[key] >= q

        def apply():
            self.reserved[key] -= q

        if not ok:  # picked units stay reserved until shipped; the model does not release them
            return
        self.attempt(
            ok,
            lambda: services.stock_release(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, q)]),
            apply,
        )

    @rule(p=st.integers(0, 2), b=st.integers(0, 3), q=quantities)
    def pick(self, p, b, q):
        product, bin_ = self.products[p], self.bins[b]
        key, bin_key = (product.pk, bin_.warehouse_id), (product.pk, bin_.pk)
        if self.reserved[key] - self.picked[key] < q:
            return  # only reserved units are picked
        ok = self.in_bin[bin_key] >= q

        def apply():
            self.in_bin[bin_key] -= q
            self.picked[key] += q

        self.attempt(
            ok,
            lambda: services.stock_pick(warehouse_id=bin_.warehouse_id, lines=[StockLine(product.pk, q, bin_.pk)]),
            apply,
        )

    @rule(p=st.integers(0, 2), w=st.integers(0, 1))
    @precondition(lambda self: any(self.picked.values()))
    def ship_picked(self, p, w):
        product, warehouse = self.products[p], self.warehouses[w]
        key = (product.pk, warehouse.pk)
        q = self.picked[key]
        if not q:
            return
        services.stock_ship(warehouse_id=warehouse.pk, lines=[StockLine(product.pk, q)])
        self.on_hand[key] -= q
        self.reserved[key] -= q
        self.picked[key] = 0

    @rule(p=st.integers(0, 2), src=st.integers(0, 3), dst=st.integers(0, 3), q=quantities)
    def transfer(self, p, src, dst, q):
        product, source, target = self.products[p], self.bins[src], self.bins[dst]
        if source.warehouse_id == target.warehouse_id:
            return
        key_from, key_to = (product.pk, source.warehouse_id), (product.pk, target.warehouse_id)
        ok = self.on_hand[key_from] - q >= self.reserved[key_from] and self.in_bin[(product.pk, source.pk)] >= q

        def apply():
            self.on_hand[key_from] -= q
            self.on_hand[key_to] += q
            self.in_bin[(product.pk, source.pk)] -= q
            self.in_bin[(product.pk, target.pk)] += q

        self.attempt(
            ok,
            lambda: services.stock_transfer(
                from_warehouse_id=source.warehouse_id,
                to_warehouse_id=target.warehouse_id,
                lines=[StockLine(product.pk, q, source.pk)],
                to_bin_ids={product.pk: target.pk},
            ),
            apply,
        )

    @rule(p=st.integers(0, 2), b=st.integers(0, 3), q=quantities, quarantine=st.booleans())
    def customer_return(self, p, b, q, quarantine):
        product, bin_ = self.products[p], self.bins[b]
        target = self.quarantine[bin_.warehouse_id] if quarantine else bin_
        services.stock_return(
            warehouse_id=bin_.warehouse_id,
            lines=[StockLine(product.pk, q, target.pk)],
            to_quarantine=quarantine,
        )
        balance = self.quarantined if quarantine else self.on_hand
        balance[(product.pk, bin_.warehouse_id)] += q
        self.in_bin[(product.pk, target.pk)] += q

    @rule(p=st.integers(0, 2), b=st.integers(0, 3), counted=st.integers(0, 30))
    def count(self, p, b, counted):
        product, bin_ = self.products[p], self.bins[b]
        key, bin_key = (product.pk, bin_.warehouse_id), (product.pk, bin_.pk)
        variance = counted - self.in_bin[bin_key]
        ok = self.on_hand[key] + variance >= self.reserved[key]

        def apply():
            self.on_hand[key] += variance
            self.in_bin[bin_key] = counted

        self.attempt(ok, lambda: services.stock_count(bin_id=bin_.pk, counts={product.pk: counted}), apply)

    # --- invariants ------------------------------------------------------------------------------
    @invariant()
    def balances_equal_the_ledger_and_the_model(self):
        ids = [p.pk for p in self.products]
        sums = Counter()
        for row in (
            StockMovement.objects.filter(product_id__in=ids)
            .values("product_id", "warehouse_id", "kind")
            .annotate(total=Sum("quantity"))
        ):
            balance = BALANCE_OF_KIND[row["kind"]]
            if balance:
                sums[(row["product_id"], row["warehouse_id"], balance)] += row["total"]
        for level in StockLevel.objects.filter(product_id__in=ids):
            key = (level.product_id, level.warehouse_id)
            assert level.on_hand == sums[(*key, "on_hand")] == self.on_hand[key]
            assert level.reserved == sums[(*key, "reserved")] == self.reserved[key]
            assert level.quarantined == sums[(*key, "quarantined")] == self.quarantined[key]
            assert 0 <= level.reserved <= level.on_hand
            assert level.available == level.on_hand - level.reserved

    @invariant()
    def bins_equal_their_movements(self):
        ids = [p.pk for p in self.products]
        sums = {
            (row["product_id"], row["bin_id"]): row["total"]
            for row in StockMovement.objects.filter(product_id__in=ids, bin__isnull=False)
            .values("product_id", "bin_id")
            .annotate(total=Sum("quantity"))
        }
        for stock in BinStock.objects.filter(product_id__in=ids):
            key = (stock.product_id, stock.bin_id)
            assert stock.on_hand == sums.get(key, 0) == self.in_bin[key] >= 0


@pytest.mark.django_db
def test_the_ledger_invariant_holds_over_random_operations():
    run_state_machine_as_test(
        StockLedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
