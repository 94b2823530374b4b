"""JSON in and out for API views: one error shape, strict request bodies, token authentication.

Every answer of an API view is JSON, errors included: {"error": <code>, "message": <for people>, ...}
with extra members per error ("errors" maps field paths to messages for 400s).
"""

import json
from collections import Counter
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from backoffice.api.tokens import api_token_authenticate

# An order of a few hundred lines is well under 100 kB; anything far bigger is a mistake or an attack.
MAX_BODY_BYTES = 256 * 1024
_REALM = 'Bearer realm="backoffice"'


class ApiError(Exception):
    """An answer other than success, raised anywhere below an API view and rendered by `api_view`."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def as_body(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}

    def response(self) -> HttpResponse:
        return json_response(self.status, dumps(self.as_body()), headers=self.headers)


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def json_response(status: int, text: str, *, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="application/json", headers=headers)


def invalid(errors: dict[str, str], message: str = "The request has errors; see `errors`.") -> ApiError:
    return ApiError(400, "invalid_request", message, errors=errors)


def api_view(*, methods: tuple[str, ...], authenticate: bool = True, scope: str | None = None):
    """Decorate an API view: CSRF exempt (the token is the credential, no cookies are used), JSON 405
    for other methods, 401 without a valid bearer token (sets `request.api_token`), 403 when the token
    lacks `scope` (an ApiToken.Scope value), never cached, and ApiError rendered as its JSON answer."""

    needed = str(scope) if scope is not None else None  # the value of an ApiToken.Scope

    def decorate(view):
        @csrf_exempt
        @never_cache
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        f"{request.method} is not allowed here; use {', '.join(methods)}.",
                        headers={"Allow": ", ".join(methods)},
                    )
                if authenticate:
                    request.api_token = _authenticated(request)
                    if needed is not None and needed not in request.api_token.scopes:
                        raise ApiError(
                            403,
                            "insufficient_scope",
                            f"This token may not do this: it needs the scope '{needed}', and has "
                            f"{', '.join(request.api_token.scopes)}. A manager can change its scopes in the admin.",
                            headers={"WWW-Authenticate": f'{_REALM}, error="insufficient_scope", scope="{needed}"'},
                        )
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error.response()

        return wrapper

    return decorate


def _authenticated(request):
    header = request.headers.get("Authorization", "")
    token = api_token_authenticate(authorization=header) if header else None
    if token is None:
        # RFC 6750: no error code when no credentials were sent, invalid_token when they were wrong.
        challenge = f'{_REALM}, error="invalid_token"' if header else _REALM
        raise ApiError(
            401,
            "unauthorized",
            "Send a valid API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": challenge},
        )
    return token


def read_json(request):
    """The request's JSON body, parsed strictly: application/json in UTF-8, at most MAX_BODY_BYTES,
    no duplicate member names, no NaN or Infinity. Raises ApiError (400, 411, 413 or 415)."""
    _check_length(request)
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _too_large() from None
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    if not raw.strip():
        raise ApiError(400, "invalid_json", "The body is empty; send a JSON object.")
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as Content-Type: application/json.")
    charset = request.content_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", "Send the body in UTF-8.")
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_members, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "The body is not valid UTF-8.") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "The body is nested too deeply.") from None
    except ValueError as error:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {error}.") from None


def _check_length(request) -> None:
    # Checked before Django reads the body, which would trust a malformed header less kindly.
    header = request.META.get("CONTENT_LENGTH")
    if not header:
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # WSGI hands Django no body without a length: say so rather than call the body empty.
            raise ApiError(411, "length_required", "Send the body with a Content-Length header, not chunked.")
        return
    if not (header.isascii() and header.isdigit()):
        raise ApiError(400, "invalid_request", "The Content-Length header is not a number.")
    if len(header) > 12 or int(header) > MAX_BODY_BYTES:
        raise _too_large()


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} kB.")


def _unique_members(pairs: list[tuple]) -> dict:
    members = dict(pairs)
    if len(members) != len(pairs):
        # Python would keep the last value silently; a client sending two is confused about something.
        duplicate = next(name for name, count in Counter(name for name, _ in pairs).items() if count > 1)
        raise ValueError(f"member {duplicate!r} appears twice in one object")
    return members


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")
