"""Demo catalogue and stock: 3 warehouses with bins, 300 products (a few kits), a stock history.

Deterministic for a given random generator; stock moves only through inventory.services.
"""

from collections import defaultdict
from decimal import Decimal

from inventory import services
from inventory.models import Bin, Category, KitComponent, Product, TaxClass, Warehouse
from inventory.services import StockLine

WAREHOUSES = (
    # code, name, address, city, region, postal code, country, pick-up allowed
    (
        "LDS",
        "Leeds distribution centre",
        "Unit 4, Thornes Park",
        "Leeds",
        "West Yorkshire",
        "LS10 1RP",
        "GB",
        False,
    ),
    ("BRS", "Bristol store", "22 Gloucester Road", "Bristol", "Bristol", "BS7 8AE", "GB", True),
    ("GLA", "Glasgow depot", "9 Kelvin Way", "Glasgow", "Scotland", "G3 7TA", "GB", True),
)

TAX_CLASSES = (("standard", "Standard rate"), ("reduced", "Reduced rate"), ("zero", "Zero rate"))

# category -> (SKU prefix, product nouns, price range in pounds, weight range in kg, tax class)
RANGES = {
    "Drinkware": (
        "DRK",
        ["Mug", "Tumbler", "Espresso Cup", "Travel Mug", "Teacup"],
        (6, 24),
        (0.2, 0.5),
        "standard",
    ),
    "Tableware": (
        "TBL",
        ["Dinner Plate", "Side Plate", "Pasta Bowl", "Serving Platter"],
        (8, 45),
        (0.4, 1.6),
        "standard",
    ),
    "Cookware": (
        "CKW",
        ["Frying Pan", "Saucepan", "Casserole", "Wok", "Roasting Tin"],
        (18, 120),
        (0.9, 4.5),
        "standard",
    ),
    "Kitchen tools": (
        "KTL",
        ["Spatula", "Whisk", "Ladle", "Peeler", "Tongs", "Grater"],
        (3, 18),
        (0.05, 0.3),
        "standard",
    ),
    "Storage": (
        "STR",
        ["Storage Jar", "Lunch Box", "Bread Bin", "Spice Rack"],
        (5, 40),
        (0.2, 2.0),
        "standard",
    ),
    "Textiles": (
        "TXT",
        ["Tea Towel", "Apron", "Oven Glove", "Napkin Set", "Table Runner"],
        (5, 30),
        (0.1, 0.5),
        "standard",
    ),
    "Coffee & tea": (
        "CFE",
        ["Cafetiere", "Teapot", "Milk Jug", "Pour-over Set", "Tea Strainer"],
        (8, 60),
        (0.2, 1.5),
        "standard",
    ),
    "Pantry": (
        "PAN",
        ["Olive Oil", "Sea Salt", "Loose Leaf Tea", "Ground Coffee", "Honey"],
        (3, 15),
        (0.1, 1.0),
        "reduced",
    ),
    "Books": (
        "BOK",
        ["Baking Book", "Bread Handbook", "Soup Almanac", "Preserving Guide"],
        (12, 30),
        (0.4, 1.2),
        "zero",
    ),
}
VARIANTS = ["Sage", "Charcoal", "Oat", "Terracotta", "Ink Blue", "Sand", "Moss", "Chalk"]
SIZES = ["Small", "Medium", "Large"]

PRODUCT_COUNT = 300
KIT_COUNT = 12


def ean13(number: int) -> str:
    """A valid EAN-13 in the 50 (UK) prefix range, with its check digit."""
    body = f"50{number:010d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def seed_inventory(rng, options) -> str:
    tax = {code: TaxClass.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in TAX_CLASSES}
    categories = {name: Category.objects.get_or_create(name=name)[0] for name in RANGES}
    warehouses = _seed_warehouses()
    bins = _seed_bins(warehouses)
    products = _seed_products(rng, tax, categories)
    kits = _seed_kits(rng, products, tax)
    movements = _seed_stock(rng, warehouses, bins, products)
    return (
        f"{len(warehouses)} warehouses, {sum(len(b) for b in bins.values())} bins, "
        f"{len(products) + len(kits)} products ({len(kits)} kits), {movements} stock movements"
    )


def _seed_warehouses() -> list[Warehouse]:
    warehouses = []
    for code, name, line1, city, region, postal_code, country, pickup in WAREHOUSES:
        warehouse, _ = Warehouse.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "line1": line1,
                "city": city,
                "region": region,
                "postal_code": postal_code,
                "country": country,
                "is_pickup_location": pickup,
            },
        )
        warehouses.append(warehouse)
    return warehouses


def _seed_bins(warehouses) -> dict[int, list[Bin]]:
    """Aisles A-F (the store has two), 8 shelves, 3 bins each, walked aisle by aisle; one quarantine bin."""
    rows = []
    for warehouse in warehouses:
        aisles = "AB" if warehouse.code == "BRS" else "ABCDEF"
        sequence = 0
        for aisle in aisles:
            for shelf in range(1, 9):
                for position in range(1, 4):
                    sequence += 10
                    rows.append(
                        Bin(
                            warehouse=warehouse,
                            code=f"{aisle}-{shelf:02d}-{position}",
                            pick_sequence=sequence,
                        )
                    )
        rows.append(Bin(warehouse=warehouse, code="Q-01", pick_sequence=99_990, is_quarantine=True))
    Bin.objects.bulk_create(rows, ignore_conflicts=True)
    bins = defaultdict(list)
    for bin_ in Bin.objects.filter(warehouse__in=warehouses, is_quarantine=False).order_by("pick_sequence"):
        bins[bin_.warehouse_id].append(bin_)
    return bins


def _seed_products(rng, tax, categories) -> list[Product]:
    rows = []
    names = list(RANGES.items())
    number = 0
    while len(rows) < PRODUCT_COUNT - KIT_COUNT:
        category, (prefix, nouns, (low, high), (light, heavy), tax_code) = names[number % len(names)]
        noun = nouns[(number // len(names)) % len(nouns)]
        variant = VARIANTS[(number // (len(names) * len(nouns))) % len(VARIANTS)]
        size = SIZES[number % len(SIZES)]
        number += 1
        cost = Decimal(rng.randint(low * 40, high * 55)) / 100
        rows.append(
            Product(
                sku=f"{prefix}-{number:04d}",
                name=f"{noun} {size} {variant}",
                barcode=ean13(number),
                category=categories[category],
                tax_class=tax[tax_code],
                weight_kg=Decimal(str(round(rng.uniform(light, heavy), 3))),
                length_cm=Decimal(rng.randint(5, 50)),
                width_cm=Decimal(rng.randint(5, 40)),
                height_cm=Decimal(rng.randint(2, 30)),
                cost_price=cost,
                list_price=(cost * Decimal("2.2")).quantize(Decimal("0.01")) - Decimal("0.01"),
                # A few discontinued lines.
                is_active=number % 37 != 0,
            )
        )
    Product.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Product.objects.filter(is_kit=False).order_by("sku"))


def _seed_kits(rng, products, tax) -> list[Product]:
    active = [p for p in products if p.is_active]
    kits = []
    for number in range(1, KIT_COUNT + 1):
        parts = rng.sample(active, 3)
        kit, created = Product.objects.get_or_create(
            sku=f"KIT-{number:03d}",
            defaults={
                "name": f"Gift Set {number}: {parts[0].name.split()[0]}, {parts[1].name.split()[0]} and more",
                "tax_class": tax["standard"],
                "is_kit": True,
                "list_price": sum((p.list_price for p in parts), Decimal(0)) * Decimal("0.85"),
            },
        )
        if created:
            KitComponent.objects.bulk_create(
                [KitComponent(kit=kit, component=part, quantity=rng.randint(1, 2)) for part in parts]
            )
        kits.append(kit)
    return kits


def _seed_stock(rng, warehouses, bins, products) -> int:
    """Receipts, reorder points, some damage and a transfer: a plausible short history."""
    main = warehouses[0]
    receipts = defaultdict(list)
    for index, product in enumerate(products):
        # The first 60 SKUs are the best sellers, well stocked in the main warehouse.
        quantity = rng.randint(150, 400) if index < 60 else rng.randint(0, 90)
        if quantity:
            bin_ = bins[main.pk][index % len(bins[main.pk])]
            receipts[main.pk].append(StockLine(product.pk, quantity, bin_.pk, product.cost_price))
        for warehouse in warehouses[1:]:
            if rng.random() < 0.5:
                bin_ = bins[warehouse.pk][index % len(bins[warehouse.pk])]
                receipts[warehouse.pk].append(StockLine(product.pk, rng.randint(1, 40), bin_.pk, product.cost_price))
    movements = 0
    for warehouse in warehouses:
        movements += len(
            services.stock_receive(
                warehouse_id=warehouse.pk,
                lines=receipts[warehouse.pk],
                reason="Opening stock",
                idempotency_key=f"demo-opening-{warehouse.code}",
            )
        )
    for index, product in enumerate(products):
        if index % 4 == 0:
            services.stock_level_set_reorder(
                product_id=product.pk,
                warehouse_id=main.pk,
                reorder_point=rng.choice([20, 40, 60]),
                reorder_quantity=100,
            )
    for product, line in zip(products[:5], receipts[main.pk][:5], strict=False):
        services.stock_adjust(
            product_id=product.pk,
            warehouse_id=main.pk,
            quantity=-1,
            reason="Damaged in handling",
            bin_id=line.bin_id,
        )
        movements += 1
    transfer_lines = [line for line in receipts[main.pk][:60] if line.quantity >= 200][:4]
    if transfer_lines:
        movements += len(
            services.stock_transfer(
                from_warehouse_id=main.pk,
                to_warehouse_id=warehouses[1].pk,
                lines=[StockLine(line.product_id, 12, line.bin_id) for line in transfer_lines],
                to_bin_ids={line.product_id: bins[warehouses[1].pk][0].pk for line in transfer_lines},
                reason="Store replenishment",
            )
        )
    return movements
