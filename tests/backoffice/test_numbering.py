import pytest
from django.db import transaction

from backoffice.numbering import format_number, next_number
from tests.concurrency import run_together


@pytest.mark.django_db
def test_numbers_run_per_sequence_and_year():
    with transaction.atomic():
        taken = [next_number(sequence="invoice", year=2026) for _ in range(3)]
        other = next_number(sequence="invoice", year=2027)
        order = next_number(sequence="order", year=2026)
    assert (taken, other, order) == ([1, 2, 3], 1, 1)
    assert format_number("INV", 2026, 42) == "INV-2026-000042"


@pytest.mark.django_db
def test_a_rolled_back_document_leaves_no_gap():
    with transaction.atomic():
        next_number(sequence="invoice", year=2026)
    with pytest.raises(RuntimeError, match="abandoned"), transaction.atomic():
        next_number(sequence="invoice", year=2026)
        raise RuntimeError("abandoned")
    with transaction.atomic():
        assert next_number(sequence="invoice", year=2026) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_documents_get_distinct_consecutive_numbers():
    def take(_):
        with transaction.atomic():
            return next_number(sequence="credit-note", year=2026)

    assert sorted(run_together(take, count=12)) == list(range(1, 13))


def test_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(sequence="invoice", year=2026)
