"""The Fulfilment section: a warehouse's queue and its pick lists (queue), a pick list on screen, on
paper and confirmed (picking), and the pack station (packing)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404

from orders.fulfilment import pack_selectors
from orders.models import PickList, Shipment

CHANGE_SHIPMENT = "orders.change_shipment"
ADD_PARCEL = "orders.add_parcel"


def fulfilment_permission(*perms):
    """Sign-in first (a redirect to the login page), then the Fulfilment section, viewing shipments
    and `perms` (else 403)."""
    required = ("backoffice.access_fulfilment", "orders.view_shipment", *perms)

    def decorator(view):
        return login_required(permission_required(required, raise_exception=True)(view))

    return decorator


def shipment_or_404(shipment_id: int) -> Shipment:
    """A shipment with what the pack station shows of it."""
    shipment = pack_selectors.shipment_for_packing(shipment_id=shipment_id)
    if shipment is None:
        raise Http404("No such shipment.")
    return shipment


def pick_list_from(request) -> PickList | None:
    """The pick list the packer came from (`list`), to offer its next shipment."""
    number = request.GET.get("list") or request.POST.get("list") or ""
    return PickList.objects.filter(number__iexact=number).first() if number else None
