"""Who places the demo orders: the demo customers with their default addresses, then guests."""

from dataclasses import dataclass

from crm.demo import CITIES, FIRST_NAMES, INWARD_LETTERS, LAST_NAMES, PERSONAL_DOMAINS, STREET_NAMES
from crm.models import Customer, CustomerTier
from orders.services.placement import AddressInput

GUESTS = 2000
# The customer's tier as the history's baskets know it (orders.demo.baskets).
TIER_KEYS = {"": 0, "silver": 1, "gold": 2, "trade": 3}
# Deliveries go from the warehouse nearest the customer, mostly.
NEAREST_WAREHOUSE = {"Glasgow": "GLA", "Edinburgh": "GLA", "Bristol": "BRS", "Cardiff": "BRS"}


@dataclass
class Person:
    customer: Customer | None
    name: str
    email: str
    phone: str
    tier: int
    # A business customer with payment terms and a credit limit buys on account.
    on_account: bool
    ship_to: AddressInput
    billing: AddressInput
    warehouse_id: int


def people_gather(rng, warehouses: dict) -> list[Person]:
    """The active demo customers (in order of id), then GUESTS made-up guests."""
    tiers = {tier.pk: TIER_KEYS.get(tier.code, 0) for tier in CustomerTier.objects.all()}
    people = []
    for customer in Customer.objects.filter(is_active=True).prefetch_related("addresses").order_by("pk"):
        addresses = list(customer.addresses.all())
        shipping = next((a for a in addresses if a.is_default_shipping), None)
        billing = next((a for a in addresses if a.is_default_billing), None)
        ship_to = _address_of(shipping, customer) if shipping else _made_up_address(rng, customer.name)
        people.append(
            Person(
                customer=customer,
                name=customer.name,
                email=customer.email,
                phone=customer.phone,
                tier=tiers.get(customer.tier_id, 0),
                on_account=bool(customer.payment_terms_days and customer.credit_limit_amount),
                ship_to=ship_to,
                billing=_address_of(billing, customer) if billing else ship_to,
                warehouse_id=_nearest(warehouses, ship_to),
            )
        )
    for number in range(GUESTS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        ship_to = _made_up_address(rng, f"{first} {last}")
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        people.append(
            Person(
                customer=None,
                name=ship_to.name,
                # A few guests order by phone and leave no e-mail address.
                email=f"{local}.{number}@{rng.choice(PERSONAL_DOMAINS)}" if rng.random() < 0.95 else "",
                phone=ship_to.phone,
                tier=0,
                on_account=False,
                ship_to=ship_to,
                billing=ship_to,
                warehouse_id=_nearest(warehouses, ship_to),
            )
        )
    return people


def _nearest(warehouses: dict, address: AddressInput) -> int:
    return warehouses[NEAREST_WAREHOUSE.get(address.city, "LDS")].pk


def _address_of(address, customer: Customer) -> AddressInput:
    return AddressInput(
        name=address.name or customer.name,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        region=address.region,
        postal_code=address.postal_code,
        country=address.country,
        company=address.company or customer.company,
        phone=address.phone or customer.phone,
    )


def _made_up_address(rng, name: str) -> AddressInput:
    city, region, districts, phone_prefix, _ = rng.choices(CITIES, weights=[c[4] for c in CITIES])[0]
    inward = f"{rng.randrange(1, 10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    # Ofcom's drama numbers (see crm.demo): valid, and they ring nobody.
    # In E.164 as crm.normalise stores it: +44 and the national number without its 0.
    phone = f"+44{phone_prefix[1:]}{rng.randrange(1000):03d}" if rng.random() < 0.7 else ""
    return AddressInput(
        name=name,
        line1=f"{rng.randrange(1, 240)} {rng.choice(STREET_NAMES)}",
        city=city,
        region=region,
        postal_code=f"{rng.choice(districts)} {inward}",
        country="GB",
        phone=phone,
    )
