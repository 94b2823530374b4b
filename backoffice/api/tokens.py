"""API tokens: created by `manage.py create_api_token`, revoked in the admin, checked on every API request.

A token is "bo_" and 43 characters of URL-safe base64 (256 random bits). Only its SHA-256 hash is
stored, and a request's token is found by looking its hash up in the unique index: the comparison
happens between hashes inside PostgreSQL, so response times say nothing about the token's characters.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from backoffice.models import ApiToken, default_api_scopes

PREFIX = "bo_"
_TOKEN = re.compile(r"bo_[A-Za-z0-9_-]{43}")
# The token's start shown in lists: the marker and 8 characters (48 of the 256 bits; not enough to use).
_SHOWN = len(PREFIX) + 8
# last_used_at is a hint for people ("is this token still used?"), not an audit log: one write a minute
# per token at most, instead of one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, name: str, scopes: Iterable[str] | None = None) -> tuple[ApiToken, str]:
    """A new active token named `name`, allowed `scopes` (ApiToken.Scope values; default orders and
    stock); returns the row and the token, which is never stored.

    Raises ValueError when the name is blank or longer than 100 characters, or a scope is unknown.
    """
    name = " ".join(name.split())
    if not name or len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValueError("Give the token a name of 1 to 100 characters (who will use it).")
    scopes = default_api_scopes() if scopes is None else list(dict.fromkeys(scopes))
    unknown = [scope for scope in scopes if scope not in ApiToken.Scope.values]
    if unknown or not scopes:
        raise ValueError(f"Give the token one or more scopes of: {', '.join(ApiToken.Scope.values)}.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=name, prefix=secret[:_SHOWN], token_hash=token_hash(secret), scopes=scopes)
    return token, secret


def api_token_revoke(*, token_id: int) -> bool:
    """Stop a token from working, at once and for good; False when it was already revoked."""
    return bool(ApiToken.objects.filter(pk=token_id, is_active=True).update(is_active=False, revoked_at=timezone.now()))


def api_token_authenticate(*, authorization: str) -> ApiToken | None:
    """The active token an `Authorization: Bearer <token>` header names, or None."""
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    # Malformed values never reach the database.
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(secret):
        return None
    token = ApiToken.objects.filter(token_hash=token_hash(secret), is_active=True).first()
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token
