"""The transition table, walked whole: allowed pairs pass, every other pair raises."""

import itertools

import pytest

from orders.exceptions import InvalidTransition
from orders.states import ALLOWED_TRANSITIONS, OrderStatus, ensure_transition

PAIRS = list(itertools.product(OrderStatus.values, repeat=2))


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_every_pair_of_statuses(current, target):
    if target in ALLOWED_TRANSITIONS[current]:
        ensure_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            ensure_transition(current, target)


def test_every_status_is_in_the_table():
    assert set(ALLOWED_TRANSITIONS) == set(OrderStatus.values)


def test_the_message_names_both_statuses():
    with pytest.raises(InvalidTransition, match=r"An order that is shipped cannot become cancelled\."):
        ensure_transition(OrderStatus.SHIPPED, OrderStatus.CANCELLED)
