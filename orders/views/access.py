"""Who may open the order pages."""

from django.contrib.auth.decorators import login_required, permission_required

VIEW = "orders.view_order"
ADD = "orders.add_order"
CHANGE = "orders.change_order"
ADD_PAYMENT = "orders.add_payment"


def orders_permission(*perms):
    """Sign-in first (a redirect to the login page), then the Orders section, viewing orders and
    `perms` (else 403)."""
    required = ("backoffice.access_orders", VIEW, *perms)

    def decorator(view):
        return login_required(permission_required(required, raise_exception=True)(view))

    return decorator
