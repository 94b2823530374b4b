"""Who may call the ShipStation endpoint: whoever sends the username and password typed into
ShipStation's Custom Store connection form.

ShipStation sends them as HTTP Basic credentials; the shipnotify URL may also carry them as the
`SS-UserName` and `SS-Password` query parameters (one tool spells it `SS-Username`; names are matched
without regard to case). They are checked against SHIPSTATION_USERNAME and SHIPSTATION_PASSWORD when
those are set, else against the active ShipStationAccount a manager set in the admin. Comparisons take
the same time whatever the guess.

The account's password is hashed like a user's (a manager chooses it, and a fast hash of a human
password is weak if the database leaks), so checking it costs a few tenths of a second of CPU. Two
things keep that cost off the endpoint (both in Django's cache, Redis in production, so every web
process shares them):
- A successful check is remembered for OK_SECONDS under an HMAC-SHA256 (SECRET_KEY) of the username,
  the password and the stored hash: every page of an export pays for one check at most, the password
  never reaches the cache, and a new password (a new hash) makes the old entries useless.
- Failures are counted per client address (REMOTE_ADDR, as the sign-in throttle counts them): after
  FAILURE_LIMIT in FAILURE_SECONDS the address gets 429 with Retry-After, without a check, until that
  window ends. An attempt is counted before its check and forgotten when it succeeds, so a burst of
  junk sent at once cannot run more than FAILURE_LIMIT checks either. A request carrying no
  credentials at all costs nothing and is not counted.
The header pair and the query pair are checked once when they are the same.
"""

import base64
import binascii
import contextlib
import hashlib
import hmac
import math
import time

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.http import HttpResponse

from orders.models import ShipStationAccount

REALM = 'Basic realm="ShipStation"'
OK_SECONDS = 5 * 60
FAILURE_LIMIT = 10
FAILURE_SECONDS = 5 * 60
_PREFIX = "shipstation:auth"


def refusal(request) -> HttpResponse | None:
    """None when the request carries the configured credentials (the Basic header, else the query
    parameters); else the answer to give: 401, or 429 when its address failed too often lately."""
    offered = list(dict.fromkeys(pair for pair in (_basic(request), _query(request)) if pair is not None))
    if not offered:
        return unauthorised()
    address = request.META.get("REMOTE_ADDR") or "unknown"
    # Before anything else, a remembered success included: otherwise a blocked address could go on
    # guessing and tell a right guess (answered) from a wrong one (429) while ShipStation is connected.
    if _attempt(address) > FAILURE_LIMIT:
        return too_many(_wait(address))
    if _valid(offered):
        _forget_attempt(address)
        return None
    return unauthorised()


def unauthorised() -> HttpResponse:
    response = HttpResponse(
        "Unauthorised: send the ShipStation username and password set up here (HTTP Basic).\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = REALM
    return response


def too_many(wait: int) -> HttpResponse:
    response = HttpResponse(
        f"Too many wrong credentials from this address: try again in {wait} seconds.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response


def _valid(offered: list[tuple[str, str]]) -> bool:
    if settings.SHIPSTATION_USERNAME and settings.SHIPSTATION_PASSWORD:
        username, password = settings.SHIPSTATION_USERNAME, settings.SHIPSTATION_PASSWORD
        return any(_same(user, username) & _same(secret, password) for user, secret in offered)
    account = ShipStationAccount.objects.filter(is_active=True).order_by("pk").first()
    if account is None or not account.username or not account.password:
        return False
    for user, secret in offered:
        key = _ok_key(user, secret, account.username, account.password)
        if cache.get(key):
            # This very pair passed the check below within OK_SECONDS, against this username and hash.
            return True
        # Both checks run whatever the first one says, so the time taken tells nothing.
        if _same(user, account.username) & check_password(secret, account.password):
            cache.set(key, True, OK_SECONDS)
            return True
    return False


def _ok_key(username: str, password: str, account_username: str, stored_hash: str) -> str:
    message = "\0".join((username, password, account_username, stored_hash)).encode("utf-8", "surrogatepass")
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"{_PREFIX}:ok:{digest}"


def _failure_keys(address: str) -> tuple[str, str]:
    hashed = hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{_PREFIX}:failures:{hashed}", f"{_PREFIX}:since:{hashed}"


def _attempt(address: str) -> int:
    """Count an attempt in the address's window (FAILURE_SECONDS from its first attempt); returns the
    attempts counted in it so far."""
    count_key, since_key = _failure_keys(address)
    cache.add(since_key, time.time(), FAILURE_SECONDS)
    cache.add(count_key, 0, FAILURE_SECONDS)
    try:
        return cache.incr(count_key)  # atomic in Redis; the window's expiry stays as it was
    except ValueError:
        # The window ended between the two calls: this attempt opens a new one.
        cache.set(count_key, 1, FAILURE_SECONDS)
        return 1


def _forget_attempt(address: str) -> None:
    """The attempt succeeded: it is no failure."""
    with contextlib.suppress(ValueError):  # the window has ended meanwhile
        cache.decr(_failure_keys(address)[0])


def _wait(address: str) -> int:
    """Seconds until the address's window ends."""
    since = cache.get(_failure_keys(address)[1]) or time.time()
    return max(1, math.ceil(since + FAILURE_SECONDS - time.time()))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _basic(request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")  # what older clients send (RFC 7617 leaves it open)
    username, colon, password = text.partition(":")
    return (username, password) if colon else None


def _query(request) -> tuple[str, str] | None:
    names = {key.lower(): key for key in request.GET}
    if "ss-username" not in names or "ss-password" not in names:
        return None
    return request.GET.get(names["ss-username"], ""), request.GET.get(names["ss-password"], "")
