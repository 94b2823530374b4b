"""Idempotency keys: a request repeated with the same `Idempotency-Key` gets the first answer again.

How a keyed request runs (`idempotent_run`):

1. Claim the key: insert (token, key, request hash) in its own short transaction. The unique constraint
   on (token, key) decides which of two concurrent requests with the same key does the work.
2. A request that finds the key taken gets 422 if its method, path or body differ from the first's;
   the first request's stored answer (status and exact body) if it has finished; or, while the first
   is still running, 409 `idempotency_in_progress` with `Retry-After: 1`. It never runs the operation.
3. The winner runs the operation, which owns its own transaction, then stores the answer. Refusals
   (a 400 from the service, a 409 for short stock) are answers too and are replayed like successes.
4. If the operation raises, its transaction has rolled back and nothing was done, so the claim is
   deleted and the client may retry with the same key.

The operation's own transaction is separate from the claim (order_place is a durable transaction and
cannot be nested), so one window remains: if the process dies after the operation committed and before
its answer was stored, the claim stays "in progress" and repeats get 409 for good. Such claims are
visible in the admin (Idempotency keys without a response status). A client that then sends the
order again under a new key is still protected by the channel's external id (409 naming the order).
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.utils import timezone

from backoffice.api.http import ApiError, invalid
from backoffice.models import ApiToken, IdempotencyKey

HEADER = "Idempotency-Key"
# Visible ASCII (UUIDs, ULIDs, storefront order ids), as long as the column allows.
_KEY = re.compile(r"[\x21-\x7e]{1,255}")

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


def idempotent_run(
    *,
    token: ApiToken,
    key: str | None,
    fingerprint: str,
    perform: Callable[[], Result],
    render: Callable[[Result], tuple[int, str]],
) -> Answer:
    """Run `perform` once per (token, key) and answer with `render(result)`; repeats get that answer.

    `perform` must leave nothing behind when it raises (it owns one transaction). `render` runs after
    it, outside that transaction, so an error while rendering does not free the key for a second run.
    Raises ApiError 422 (the key was used for another request) or 409 (the first is still running).
    """
    if key is None:
        return Answer(*render(perform()))
    claim, claimed = IdempotencyKey.objects.get_or_create(token=token, key=key, defaults={"request_hash": fingerprint})
    if not claimed:
        return _replay(claim, fingerprint)
    try:
        result = perform()
    except BaseException:
        # Nothing was done: let a retry with the same key do it.
        IdempotencyKey.objects.filter(pk=claim.pk).delete()
        raise
    status, body = render(result)
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        response_status=status, response_body=body, completed_at=timezone.now()
    )
    return Answer(status, body)


def _replay(claim: IdempotencyKey, fingerprint: str) -> Answer:
    if claim.request_hash != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was sent before with another request; use a new key for a new request.",
        )
    if claim.response_status is None:
        raise ApiError(
            409,
            "idempotency_in_progress",
            f"A request with this {HEADER} is still being processed; repeat it in a moment for its answer.",
            headers={"Retry-After": "1"},
        )
    return Answer(claim.response_status, claim.response_body, replayed=True)
