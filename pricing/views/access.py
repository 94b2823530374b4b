"""Who may open the pricing pages, and the small helpers every pricing view shares."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET


def pricing_permission(*perms):
    """Sign-in first (a redirect to the login page), then the section and `perms` (else 403)."""
    required = ("backoffice.access_pricing", *perms)

    def decorator(view):
        return login_required(permission_required(required, raise_exception=True)(view))

    return decorator


def next_row_index(request, *, prefix: str, limit: int) -> int:
    """The index of a row htmx is adding: the formset's current TOTAL_FORMS, sent with the request."""
    total = request.GET.get(f"{prefix}-TOTAL_FORMS", "")
    return min(int(total), limit) if total.isdigit() else 0


@require_GET
@pricing_permission()
def row_remove(request):
    """An empty answer: a row's remove button swaps its row for it (hx-swap="delete"). The page holds
    no script of its own (the content security policy allows none), so htmx asks the server.

    The event it raises reaches the page's body once the row is gone (the button went with it), so a
    form that recalculates (the cart preview) can listen for "rows-changed from:body".
    """
    return HttpResponse("", headers={"HX-Trigger-After-Swap": "rows-changed"})
