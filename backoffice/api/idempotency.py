"""Idempotency keys: a request repeated with the same `Idempotency-Key` gets the first answer again.

How a keyed request runs (`idempotent_run`), all in one transaction:

1. Claim the key: insert (token, key, request hash). The unique constraint on (token, key) decides which
   of two concurrent requests does the work: the second one's insert waits for the first transaction to
   end. If the first commits, the second finds its row and replays its answer; if the first rolled back,
   the second's insert goes through and it does the work itself. A request that waits longer than
   `WAIT_FOR_FIRST` gets 409 `idempotency_in_progress` with `Retry-After: 1` instead.
2. A request that finds the key taken gets 422 if its method, path or body differ from the first's, and
   the first request's stored answer (status and exact body) otherwise. It never runs the operation.
3. The winner runs the operation and renders its answer, and the answer is stored, in that same
   transaction: the work and its record commit together or not at all, so no crash can leave an order
   without its record (a retry would place it twice) nor a record without its order. Refusals (a 400
   from the service, a 409 for short stock) are answers too and are replayed like successes; the
   operation must undo its own partial work for those (a savepoint) before returning them.
4. If the operation raises, everything rolls back, claim included: the client may retry with the key.

Stored answers are kept for IDEMPOTENCY_KEY_RETENTION_DAYS (`idempotency_keys_purge`, run daily by beat).
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from psycopg import errors as pg_errors

from backoffice.api.http import ApiError, invalid
from backoffice.models import ApiToken, IdempotencyKey

HEADER = "Idempotency-Key"
# Visible ASCII (UUIDs, ULIDs, storefront order ids), as long as the column allows.
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# How long a repeat waits for the first request with its key to finish before it is told to come back.
# Placing even a large order takes well under a second; a web worker should not wait much longer.
WAIT_FOR_FIRST = timedelta(seconds=5)

Result = TypeVar("Result")


@dataclass(frozen=True)
class Answer:
    status: int
    # The JSON text, kept exactly so that a replay is byte for byte the first answer.
    body: str
    replayed: bool = False


def idempotency_key(request) -> str | None:
    """The request's Idempotency-Key header (None without one); raises ApiError 400 when malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise invalid({HEADER: "must be 1 to 255 visible ASCII characters, e.g. a UUID"})
    return key


def request_fingerprint(*, method: str, path: str, payload) -> str:
    """SHA-256 of the method, path and body as canonical JSON (member order and spacing do not count)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@transaction.atomic(durable=True)
def idempotent_run(
    *,
    token: ApiToken,
    key: str | None,
    fingerprint: str,
    perform: Callable[[], Result],
    render: Callable[[Result], tuple[int, str]],
) -> Answer:
    """Run `perform` once per (token, key) and answer with `render(result)`; repeats get that answer.

    One transaction holds the claim, `perform`'s work (it must not open a durable transaction of its
    own) and the stored answer. Raises ApiError 422 (the key was used for another request) or 409 (the
    first request with the key is still running after WAIT_FOR_FIRST); whatever `perform` or `render`
    raise rolls everything back.
    """
    if key is None:
        return Answer(*render(perform()))
    claim, claimed = _claim(token, key, fingerprint)
    if not claimed:
        return _replay(claim, fingerprint)
    status, body = render(perform())
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        response_status=status, response_body=body, completed_at=timezone.now()
    )
    return Answer(status, body)


def _claim(token: ApiToken, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """(row, True) when this request inserted the key; (the first request's row, False) otherwise."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (lock_timeout,) = cursor.fetchone()
        # Only the insert may wait on a concurrent claim for a bounded time; the operation that follows
        # keeps the session's own lock timeout. Local to the transaction: nothing leaks into the pool.
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{int(WAIT_FOR_FIRST.total_seconds() * 1000)}ms"]
        )
        try:
            # The insert runs in a savepoint; a conflict with a committed claim turns into a read of it.
            claim = IdempotencyKey.objects.get_or_create(token=token, key=key, defaults={"request_hash": fingerprint})
        except OperationalError as error:
            if isinstance(error.__cause__, pg_errors.LockNotAvailable):
                raise _in_progress() from None
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
    return claim


def _replay(claim: IdempotencyKey, fingerprint: str) -> Answer:
    if claim.request_hash != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was sent before with another request; use a new key for a new request.",
        )
    if claim.response_status is None:
        # Only claims written before answers were stored in the same transaction can lack one.
        raise _in_progress()
    return Answer(claim.response_status, claim.response_body, replayed=True)


def _in_progress() -> ApiError:
    return ApiError(
        409,
        "idempotency_in_progress",
        f"A request with this {HEADER} is still being processed; repeat it in a moment for its answer.",
        headers={"Retry-After": "1"},
    )


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete stored answers older than IDEMPOTENCY_KEY_RETENTION_DAYS; returns how many went.

    A key used again after that is a new request: clients retry within minutes or hours, not days.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
