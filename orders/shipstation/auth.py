"""Who may call the ShipStation endpoint: whoever sends the username and password typed into
ShipStation's Custom Store connection form.

ShipStation sends them as HTTP Basic credentials; the shipnotify URL may also carry them as the
`SS-UserName` and `SS-Password` query parameters (one tool spells it `SS-Username`; names are matched
without regard to case). They are checked against SHIPSTATION_USERNAME and SHIPSTATION_PASSWORD when
those are set, else against the active ShipStationAccount a manager set in the admin (its password
hashed). Comparisons take the same time whatever the guess.
"""

import base64
import binascii
import hmac

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.http import HttpResponse

from orders.models import ShipStationAccount

REALM = 'Basic realm="ShipStation"'


def authenticated(request) -> bool:
    """True when the request carries the configured credentials (the Basic header, else the query
    parameters); False when it does not or when none are configured."""
    offered = [pair for pair in (_basic(request), _query(request)) if pair is not None]
    if not offered:
        return False
    if settings.SHIPSTATION_USERNAME and settings.SHIPSTATION_PASSWORD:
        username, password = settings.SHIPSTATION_USERNAME, settings.SHIPSTATION_PASSWORD
        return any(_same(user, username) & _same(secret, password) for user, secret in offered)
    account = ShipStationAccount.objects.filter(is_active=True).order_by("pk").first()
    if account is None or not account.username or not account.password:
        return False
    # Both checks run whatever the first one says, so the time taken tells nothing.
    return any(_same(user, account.username) & check_password(secret, account.password) for user, secret in offered)


def unauthorised() -> HttpResponse:
    response = HttpResponse(
        "Unauthorised: send the ShipStation username and password set up here (HTTP Basic).\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = REALM
    return response


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
