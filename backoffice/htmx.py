"""Helpers for views that answer both full page loads and htmx requests."""

from django.http import HttpRequest


def page_or_partial(request: HttpRequest, template: str, partial: str) -> str:
    """The template to render: the named partial for an htmx request, else the whole page.

    Views that use it vary on HX-Request (``@vary_on_headers("HX-Request")``) so caches keep both.
    """
    htmx = getattr(request, "htmx", False)
    # A history restore (the user went back to a page whose snapshot htmx no longer holds) replaces
    # the whole body, so it needs the whole page even though it is an htmx request.
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return f"{template}#{partial}"
    return template
