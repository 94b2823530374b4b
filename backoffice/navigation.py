"""The staff shell's sections: what the navigation shows and who may open each one."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    # The URL name of the section's first page, once the section is built (else a "not built yet" page).
    url: str = ""
    # Which issue builds the section, for the plain "not built yet" page until it exists.
    issue: int | None = None
    # The URL namespace of the section's pages, when it is not the key (Customers are the crm app's).
    app_namespace: str = ""

    @property
    def namespace(self) -> str:
        return self.app_namespace or self.key

    @property
    def url_name(self) -> str:
        return self.url or self.key

    @property
    def is_built(self) -> bool:
        return bool(self.url) or self.key == "dashboard"

    @property
    def permission(self) -> str:
        """The StaffArea permission that opens the section; the dashboard is open to all staff."""
        return "" if self.key == "dashboard" else f"backoffice.access_{self.key}"

    def allows(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return not self.permission or user.has_perm(self.permission)


SECTIONS = (
    Section("dashboard", "Dashboard"),
    Section("orders", "Orders", url="orders:order-list"),
    # The orders app's pages under /orders/fulfilment/: the queue, pick lists, the pack station.
    Section("fulfilment", "Fulfilment", url="orders:fulfilment:home", app_namespace="orders:fulfilment"),
    Section("inventory", "Inventory", url="inventory:product-list"),
    Section("purchasing", "Purchasing"),
    Section("customers", "Customers", url="crm:customer-list", app_namespace="crm"),
    Section("pricing", "Pricing", url="pricing:promotion-list"),
    Section("reports", "Reports"),
)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def sections_for(user) -> list[Section]:
    return [section for section in SECTIONS if section.allows(user)]
