"""Human-friendly document numbers: sequential per year, unique, gapless.

Take the number as late as possible in the issuing transaction: the sequence row stays locked until
that transaction ends, so concurrent documents of the same kind wait for each other from there on.
"""

from django.db import connection

_NEXT = """
INSERT INTO backoffice_numbersequence (name, year, last_value) VALUES (%s, %s, 1)
ON CONFLICT (name, year) DO UPDATE SET last_value = backoffice_numbersequence.last_value + 1
RETURNING last_value
"""


def next_number(*, sequence: str, year: int) -> int:
    """The next number of `sequence` in `year`; must run inside the transaction that uses it."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that issues the document")
    with connection.cursor() as cursor:
        cursor.execute(_NEXT, [sequence, year])
        return cursor.fetchone()[0]


def format_number(prefix: str, year: int, value: int, width: int = 6) -> str:
    """E.g. format_number("SO", 2026, 42) -> "SO-2026-000042"."""
    return f"{prefix}-{year}-{value:0{width}d}"
