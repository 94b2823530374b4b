"""Which warehouse ships what: a pure function over availability, no database.

The policy, in order:
1. One warehouse that can ship every line wins; among several, the one ranked first for the
   destination (WarehousePriority; then by code).
2. Otherwise the fewest warehouses that together can ship everything; among sets of the same size,
   the one whose warehouses rank first. Within a set, each line takes what it can from the
   best-ranked warehouse first, so a line is split only when no single warehouse of the set has it all.
3. Otherwise every warehouse in rank order gives what it has, and the rest is a shortfall
   (a backorder where the clerk allowed one, else the order is refused).

A kit line is available as many times as its scarcest component allows, per warehouse.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations


@dataclass(frozen=True)
class Need:
    key: int  # the line's position
    quantity: int
    # (product id, units per line unit): one pair for a product, a kit's components for a kit.
    parts: tuple[tuple[int, int], ...]


@dataclass
class Allocation:
    # warehouse id -> line key -> quantity shipped from there
    assignments: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    shortfalls: dict[int, int] = field(default_factory=dict)

    @property
    def warehouses(self) -> list[int]:
        return [warehouse for warehouse, lines in self.assignments.items() if lines]


def allocate(needs: list[Need], availability: dict[int, dict[int, int]], ranking: list[int]) -> Allocation:
    """Allocate `needs` to warehouses given `availability` ({warehouse: {product: available}}) and the
    warehouses' `ranking` for the destination (best first)."""
    for size in range(1, len(ranking) + 1):
        for warehouses in combinations(ranking, size):
            allocation = _greedy(needs, availability, warehouses)
            if not allocation.shortfalls:
                return allocation
    return _greedy(needs, availability, tuple(ranking))


def _greedy(needs: list[Need], availability: dict[int, dict[int, int]], warehouses: tuple[int, ...]) -> Allocation:
    left = {warehouse: dict(availability.get(warehouse, {})) for warehouse in warehouses}
    allocation = Allocation()
    for need in needs:
        wanted = need.quantity
        # Prefer a warehouse that has the whole line, in rank order; split only if none has.
        whole = next((w for w in warehouses if _units(need, left[w]) >= wanted), None)
        order = (whole,) if whole is not None else warehouses
        for warehouse in order:
            take = min(wanted, _units(need, left[warehouse]))
            if take <= 0:
                continue
            for product, per_unit in need.parts:
                left[warehouse][product] = left[warehouse].get(product, 0) - take * per_unit
            allocation.assignments[warehouse][need.key] = take
            wanted -= take
            if not wanted:
                break
        if wanted:
            allocation.shortfalls[need.key] = wanted
    return allocation


def _units(need: Need, available: dict[int, int]) -> int:
    return min(max(available.get(product, 0), 0) // per_unit for product, per_unit in need.parts)
