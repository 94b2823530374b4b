"""Staff roles: Django groups and the model permissions each one holds.

The groups are created by a data migration (backoffice/migrations/0002_roles.py). Permissions are
granted from ROLE_PERMISSIONS after every `migrate` (see BackofficeConfig.ready), so a model added by a
later migration reaches the right roles without a migration of its own. Granting only adds: a
permission a manager gave a group by hand in the admin stays.
"""

from fnmatch import fnmatchcase

CLERK = "Clerk"
WAREHOUSE = "Warehouse"
BUYER = "Buyer"
MANAGER = "Manager"
ACCOUNTANT = "Accountant"

ROLES = (CLERK, WAREHOUSE, BUYER, MANAGER, ACCOUNTANT)

# Patterns over "app_label.codename" (fnmatch syntax).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Order entry: orders, customers; may look up stock and prices.
    CLERK: (
        "backoffice.access_orders",
        "backoffice.access_customers",
        "backoffice.access_inventory",
        "backoffice.access_pricing",
        "orders.*",
        "crm.*",
        "inventory.view_*",
        "pricing.view_*",
    ),
    # Picking, packing, shipping, receiving and counting.
    WAREHOUSE: (
        "backoffice.access_fulfilment",
        "backoffice.access_inventory",
        "backoffice.access_orders",
        "backoffice.access_purchasing",
        "inventory.*",
        "orders.view_*",
        "orders.change_shipment",
        "orders.*_parcel",
        # Receiving returned goods into stock or quarantine.
        "orders.change_returnauthorisation",
        "purchasing.view_*",
        "purchasing.change_purchaseorder",
    ),
    # Suppliers, purchase orders, reordering.
    BUYER: (
        "backoffice.access_purchasing",
        "backoffice.access_inventory",
        "backoffice.access_pricing",
        "backoffice.access_reports",
        "purchasing.*",
        "inventory.view_*",
        "inventory.change_product",
        "pricing.view_*",
        "crm.view_*",
    ),
    # Invoices, payments, credit, valuation: reads everything, changes money-related records.
    ACCOUNTANT: (
        "backoffice.access_orders",
        "backoffice.access_customers",
        "backoffice.access_inventory",
        "backoffice.access_pricing",
        "backoffice.access_purchasing",
        "backoffice.access_reports",
        "orders.view_*",
        "orders.*_payment",
        "orders.*_invoice",
        "orders.*_creditnote",
        "crm.view_*",
        "crm.change_customer",
        "inventory.view_*",
        "pricing.view_*",
        "purchasing.view_*",
    ),
    # Everything in the business apps, plus the people who use it.
    MANAGER: (
        "orders.*",
        "inventory.*",
        "crm.*",
        "pricing.*",
        "purchasing.*",
        "backoffice.*",
        "auth.view_user",
        "auth.change_user",
        "auth.add_user",
        "auth.view_group",
        "axes.*",
    ),
}


def codenames_for(role: str, available: list[str]) -> list[str]:
    """The "app_label.codename" strings of `available` that `role` should hold."""
    patterns = ROLE_PERMISSIONS[role]
    return [perm for perm in available if any(fnmatchcase(perm, pattern) for pattern in patterns)]


def grant_role_permissions(groups, permissions) -> None:
    """Make sure each role's group exists and holds the permissions its patterns match.

    Only adds, never removes. Takes the Group and Permission managers, so that it works on any
    database alias. Creating missing groups here as well as in the data migration keeps them after a
    database flush (which re-runs post_migrate), as transactional tests do.
    """
    for name in ROLES:
        groups.get_or_create(name=name)
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions.select_related("content_type")}
    for group in groups.filter(name__in=ROLES):
        wanted = codenames_for(group.name, list(by_name))
        group.permissions.add(*(by_name[name] for name in wanted))
