"""The allocation policy as a pure function: single warehouse first, then the fewest, then shortfalls."""

from orders.allocation import Need, allocate

LEEDS, BRISTOL, GLASGOW = 1, 2, 3


def need(key, quantity, product=None, parts=None):
    return Need(key, quantity, parts or ((product or key, 1),))


def test_one_warehouse_with_everything_wins_in_rank_order():
    stock = {LEEDS: {10: 5, 11: 5}, BRISTOL: {10: 5, 11: 5}}
    allocation = allocate([need(0, 2, 10), need(1, 1, 11)], stock, [BRISTOL, LEEDS])
    assert dict(allocation.assignments) == {BRISTOL: {0: 2, 1: 1}}
    assert allocation.shortfalls == {}


def test_the_fewest_warehouses_when_none_has_everything():
    stock = {LEEDS: {10: 5}, BRISTOL: {11: 5}, GLASGOW: {10: 5, 12: 5}}
    allocation = allocate([need(0, 2, 10), need(1, 1, 11), need(2, 1, 12)], stock, [LEEDS, BRISTOL, GLASGOW])
    # {BRISTOL, GLASGOW} covers all three lines with two warehouses; LEEDS would need three.
    assert dict(allocation.assignments) == {BRISTOL: {1: 1}, GLASGOW: {0: 2, 2: 1}}


def test_a_line_is_split_only_when_no_warehouse_has_it_all():
    stock = {LEEDS: {10: 3}, BRISTOL: {10: 4}}
    allocation = allocate([need(0, 6, 10)], stock, [LEEDS, BRISTOL])
    assert dict(allocation.assignments) == {LEEDS: {0: 3}, BRISTOL: {0: 3}}


def test_what_nobody_has_is_a_shortfall():
    stock = {LEEDS: {10: 3}, BRISTOL: {10: 1}}
    allocation = allocate([need(0, 6, 10)], stock, [LEEDS, BRISTOL])
    assert allocation.shortfalls == {0: 2}
    assert dict(allocation.assignments) == {LEEDS: {0: 3}, BRISTOL: {0: 1}}


def test_a_kit_is_limited_by_its_scarcest_component():
    kit = ((20, 2), (21, 1))  # two mugs and a teapot
    stock = {LEEDS: {20: 5, 21: 9}, BRISTOL: {20: 8, 21: 4}}
    allocation = allocate([Need(0, 3, kit)], stock, [LEEDS, BRISTOL])
    assert dict(allocation.assignments) == {BRISTOL: {0: 3}}  # Leeds has mugs for 2 kits only
