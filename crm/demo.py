"""Demo customers: the discount-club tiers, and 1,000 customers across the UK with their address books.

Deterministic for a given random generator. Customers are written with bulk_create for speed, so the
values are built in the form crm.services stores them (lower-case e-mail, E.164 phone, UK postcodes
with their space, one default billing and one default shipping address each). Phone numbers are
taken from Ofcom's ranges reserved for drama, which are valid numbers that ring nobody; e-mail
addresses use the domains reserved for examples.
"""

import random
from decimal import Decimal

from crm.models import Address, Customer, CustomerTier
from crm.normalise import normalise_phone

TIERS = (("silver", "Silver club", 1), ("gold", "Gold club", 2), ("trade", "Trade account", 3))

CUSTOMER_COUNT = 1000
BUSINESS_SHARE = 0.15

# city, county or region, postcode districts, Ofcom drama-number prefix (national format; the last
# three digits are free), relative weight.
CITIES = (
    ("London", "", ("SW11", "SE15", "N1", "N16", "E8", "NW5", "W12", "E17", "SW4"), "02079460", 6),
    ("Leeds", "West Yorkshire", ("LS1", "LS2", "LS6", "LS7", "LS8", "LS11", "LS16", "LS17"), "01134960", 2),
    ("Sheffield", "South Yorkshire", ("S1", "S2", "S6", "S7", "S10", "S11", "S17"), "01144960", 2),
    ("Manchester", "Greater Manchester", ("M1", "M4", "M13", "M14", "M16", "M20", "M21"), "01614960", 3),
    ("Birmingham", "West Midlands", ("B1", "B5", "B13", "B14", "B15", "B17", "B29", "B30"), "01214960", 3),
    ("Bristol", "", ("BS1", "BS3", "BS5", "BS6", "BS7", "BS8", "BS9"), "01174960", 2),
    ("Liverpool", "Merseyside", ("L1", "L8", "L15", "L17", "L18"), "01514960", 2),
    ("Leicester", "Leicestershire", ("LE1", "LE2", "LE3", "LE4", "LE5"), "01164960", 1),
    ("Reading", "Berkshire", ("RG1", "RG2", "RG4", "RG6", "RG30"), "01184960", 1),
    ("Newcastle upon Tyne", "Tyne and Wear", ("NE1", "NE2", "NE3", "NE6"), "01914980", 1),
    ("Edinburgh", "", ("EH1", "EH3", "EH4", "EH6", "EH9", "EH10", "EH12"), "01314960", 2),
    ("Glasgow", "", ("G1", "G3", "G11", "G12", "G31", "G41"), "01414960", 2),
    ("Cardiff", "", ("CF10", "CF11", "CF14", "CF23", "CF24"), "02920180", 1),
    ("Belfast", "County Antrim", ("BT1", "BT5", "BT7", "BT9"), "02890180", 1),
)
# Royal Mail never uses C, I, K, M, O or V in the last two letters of a postcode.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

FIRST_NAMES = (  # noqa: SIM905 (a list of words reads better as words)
    "Olivia Amelia Isla Ava Mia Grace Freya Lily Sophie Emily Ella Poppy Evie Chloe Ruby Sienna Harriet "
    "Alice Eleanor Hannah Zara Priya Aisha Niamh Siobhan Fiona Morag Catrin Rhiannon Megan Oliver George "
    "Harry Noah Jack Leo Arthur Oscar Charlie Henry Thomas William James Alfie Joshua Samuel Daniel Rory "
    "Callum Euan Dafydd Rhys Owen Arjun Mohammed Yusuf Kwame Tomasz Luca Patrick Declan Ewan Finlay "
    "Hamish"
).split()
LAST_NAMES = (  # noqa: SIM905 (a list of words reads better as words)
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson "
    "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin "
    "Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson "
    "Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell "
    "Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson "
    "Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes "
    "Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey MacDonald "
    "Fraser O'Neill"
).split()
STREET_NAMES = (
    "High Street",
    "Church Road",
    "Station Road",
    "Victoria Road",
    "Park Road",
    "Green Lane",
    "Manor Road",
    "Church Street",
    "Kings Road",
    "Queens Road",
    "Mill Lane",
    "New Road",
    "Grange Road",
    "School Lane",
    "Albert Road",
    "London Road",
    "Springfield Road",
    "Highfield Road",
    "York Road",
    "Chapel Street",
    "North Street",
    "Windsor Road",
    "Alexandra Road",
    "Stanley Road",
    "George Street",
    "Broadway",
    "Clarence Road",
    "The Crescent",
    "Orchard Close",
    "Elm Grove",
    "Beech Avenue",
    "Cavendish Place",
)
BUSINESS_WORDS = (  # noqa: SIM905 (a list of words reads better as words)
    "Harbour Copper Oak Northern Riverside Orchard Hearth Kiln Larder Pantry Market Bridge Meadow Thistle "
    "Granite Willow Saffron Juniper Foundry Quayside Castle Heather Lantern Maple"
).split()
BUSINESS_NOUNS = ("Kitchen", "Café", "Bakery", "Catering", "Deli", "Bistro", "Tea Rooms", "Cookshop", "Hotel", "Inn")
BUSINESS_SUFFIXES = ("Ltd", "Ltd", "Ltd", "& Co", "LLP", "")
PERSONAL_DOMAINS = ("example.com", "example.net", "example.org")
NOTES = (
    "Prefers delivery before noon.",
    "Leave parcels with the neighbour at no. 2 if out.",
    "Gift orders: never include prices.",
    "Call before delivering: gate code changes.",
    "Invoices to the accounts address only.",
    "Buys for two shops; check which one an order is for.",
)


def seed_tiers(rng, options) -> str:
    for code, name, rank in TIERS:
        CustomerTier.objects.update_or_create(code=code, defaults={"name": name, "rank": rank})
    return f"{len(TIERS)} customer tiers"


def seed_customers(rng, options) -> str:
    """1,000 customers (about 15% businesses) with UK addresses; customers already there (by e-mail
    address) are left as they are, so running the seed twice adds nothing."""
    # A generator of its own, seeded from the command's seed: the shared one's state depends on what
    # the seeders before this one found in the database, and the same customers must come out each run.
    rng = random.Random(f"{options.get('seed')}-crm-customers")
    tiers = {tier.code: tier for tier in CustomerTier.objects.all()}
    phones = _PhoneBook()
    planned = [_plan_customer(rng, number, tiers, phones) for number in range(CUSTOMER_COUNT)]
    existing = set(Customer.objects.filter(email__in=[c.email for c, _ in planned]).values_list("email", flat=True))
    planned = [(customer, addresses) for customer, addresses in planned if customer.email not in existing]
    Customer.objects.bulk_create([customer for customer, _ in planned], batch_size=500)
    addresses = []
    for customer, customer_addresses in planned:
        for address in customer_addresses:
            address.customer = customer
            addresses.append(address)
    Address.objects.bulk_create(addresses, batch_size=1000)
    businesses = sum(1 for customer, _ in planned if customer.kind == Customer.Kind.BUSINESS)
    return f"{len(planned)} customers ({businesses} businesses), {len(addresses)} addresses"


class _PhoneBook:
    """Hands out each drama number of a city once."""

    def __init__(self):
        self.used: set[str] = set()

    def number(self, rng, prefix: str) -> str:
        while True:
            national = prefix + f"{rng.randrange(1000):03d}"
            if national not in self.used:
                self.used.add(national)
                return normalise_phone(national, region="GB")


def _plan_customer(rng, number: int, tiers: dict, phones: _PhoneBook) -> tuple[Customer, list[Address]]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city = _city(rng)
    is_business = rng.random() < BUSINESS_SHARE
    customer = Customer(kind=Customer.Kind.INDIVIDUAL, name=f"{first} {last}")
    if is_business:
        company = _business_name(rng, last)
        customer.kind = Customer.Kind.BUSINESS
        customer.company = company
        slug = "".join(ch for ch in company.lower() if ch.isascii() and ch.isalnum())[:24]
        customer.email = f"{rng.choice(('orders', 'accounts', 'hello', 'buying'))}.{number}@{slug}.example"
        customer.tier = tiers.get("trade") if rng.random() < 0.6 else None
        customer.payment_terms_days = rng.choice((0, 14, 30, 30, 30, 60))
        if customer.payment_terms_days:
            customer.credit_limit_amount = Decimal(rng.choice((1000, 2500, 5000, 10000, 25000)))
    else:
        local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}", f"{first}_{last}"))
        local = "".join(ch for ch in local.lower() if ch.isalnum() or ch in "._")
        customer.email = f"{local}{number}@{rng.choice(PERSONAL_DOMAINS)}"
        roll = rng.random()
        customer.tier = tiers.get("gold") if roll < 0.08 else tiers.get("silver") if roll < 0.25 else None
    # Some customers leave no phone number, a few no e-mail address (ordered by phone).
    customer.phone = phones.number(rng, city[3]) if rng.random() < 0.85 else ""
    if not is_business and rng.random() < 0.03 and customer.phone:
        customer.email = ""
    customer.notes = rng.choice(NOTES) if rng.random() < 0.08 else ""
    customer.is_active = rng.random() >= 0.02
    return customer, _plan_addresses(rng, customer, city, phones)


def _plan_addresses(rng, customer: Customer, city: tuple, phones: _PhoneBook) -> list[Address]:
    roll = rng.random()
    if roll < 0.05:
        return []
    home = _address(rng, city, label="Head office" if customer.is_business else "Home")
    home.is_default_billing = home.is_default_shipping = True
    if roll < 0.8:
        return [home]
    # A second address: a business's warehouse or shop, a person's workplace; it takes the deliveries.
    other_city = city if rng.random() < 0.7 else _city(rng)
    other = _address(rng, other_city, label="Warehouse" if customer.is_business else "Work")
    other.company = customer.company if customer.is_business else rng.choice(("", "", _business_name(rng, "")))
    other.phone = phones.number(rng, other_city[3]) if rng.random() < 0.5 else ""
    home.is_default_shipping, other.is_default_shipping = False, True
    return [home, other]


def _address(rng, city: tuple, *, label: str) -> Address:
    name, region, districts, _, _ = city
    inward = f"{rng.randrange(1, 10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    line2 = f"Flat {rng.randrange(1, 30)}" if rng.random() < 0.15 else ""
    return Address(
        label=label,
        line1=f"{rng.randrange(1, 240)} {rng.choice(STREET_NAMES)}",
        line2=line2,
        city=name,
        region=region,
        postal_code=f"{rng.choice(districts)} {inward}",
        country="GB",
    )


def _city(rng) -> tuple:
    return rng.choices(CITIES, weights=[city[4] for city in CITIES])[0]


def _business_name(rng, surname: str) -> str:
    if surname and rng.random() < 0.25:
        return f"{surname} & {rng.choice(LAST_NAMES)}"
    name = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_NOUNS)}"
    suffix = rng.choice(BUSINESS_SUFFIXES)
    return f"{name} {suffix}".strip()
