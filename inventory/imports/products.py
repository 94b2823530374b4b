"""Product import, the check: every row of the file is checked before anything is written
(products_write.py writes a checked file: all of its rows or none).

A row whose SKU is known (compared without regard to case) updates that product; any other row
creates one. In an update an empty cell leaves the field as it is, so a file with only some columns
filled in never blanks the others.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Upper

from inventory.imports.csvfile import (
    CellError,
    Column,
    Errors,
    Progress,
    Row,
    boolean_value,
    chunked,
    database_upper,
    decimal_value,
    gtin_value,
    read_rows,
    report_progress,
    text_value,
    whole_number,
)
from inventory.models import KitComponent, Product, StockLevel, TaxClass

DECIMAL_FIELDS = ("weight_kg", "length_cm", "width_cm", "height_cm", "cost_price", "list_price")

PRODUCT_COLUMNS = (
    Column("sku", True, "The product's SKU, at most 64 characters. A SKU already in the catalogue "
           "(compared without regard to case) updates that product; a new one creates a product."),
    Column("name", True, "At most 200 characters."),
    Column("barcode", False, "GTIN/EAN of 8, 12, 13 or 14 digits with a correct check digit; no two "
           "products may share one."),
    Column("category", False, "Category name; a category that does not exist yet is created."),
    Column("tax_class", False, "Code of an existing tax class (e.g. standard). Required for new products."),
    Column("weight_kg", False, "Weight in kilograms, up to 3 decimal places."),
    Column("length_cm", False, "Length in centimetres, up to 1 decimal place."),
    Column("width_cm", False, "Width in centimetres, up to 1 decimal place."),
    Column("height_cm", False, "Height in centimetres, up to 1 decimal place."),
    Column("cost_price", False, "Unit cost, up to 4 decimal places."),
    Column("list_price", False, "List price, up to 4 decimal places."),
    Column("is_active", False, "true/false, yes/no or 1/0; new products are active unless told otherwise."),
    Column("kit_components", False, "Makes the product a kit of these components: SKU:quantity pairs "
           "separated by semicolons, e.g. BOLT-M8:2;NUT-M8:2 (replacing any components it had). Each "
           "component must be in the catalogue or on an earlier line, and cannot be a kit itself."),
)  # fmt: skip

PRODUCT_EXAMPLE_ROWS = (
    ("BOLT-M8", "Hex bolt M8 x 40, pack of 50", "4006381333931", "Fasteners", "standard",
     "0.950", "12.0", "8.0", "4.0", "3.2000", "7.9000", "true", ""),
    ("NUT-M8", "Hex nut M8, pack of 100", "", "Fasteners", "standard",
     "0.600", "", "", "", "1.1000", "4.50", "yes", ""),
    ("SET-M8", "Bolt and nut set M8", "", "Fasteners", "standard",
     "", "", "", "", "", "11.90", "yes", "BOLT-M8:1;NUT-M8:1"),
)  # fmt: skip


@dataclass
class ProductRow:
    line: int
    sku: str
    # The SKU as the database's case-insensitive unique index sees it ("" when the SKU is wrong).
    key: str = ""
    # Model fields this row sets; an empty cell sets nothing.
    fields: dict[str, object] = field(default_factory=dict)
    category: str = ""
    tax_class_written: bool = False
    # None: the row leaves the kit as it is; else (component SKU, quantity) pairs, then their keys.
    components: list[tuple[str, int]] | None = None
    component_keys: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ProductImportPlan:
    """A checked file: what to write. `existing` maps each SKU key the file names to the product id it
    had when checked, so that writing can tell whether the catalogue changed in between."""

    rows: list[ProductRow]
    existing: dict[str, int]


def product_import_check(*, data: bytes, progress: Progress | None = None) -> ProductImportPlan:
    """Check a product CSV file completely, reading the database but writing nothing.

    Raises ImportRejected naming every bad row, column and reason.
    """
    errors = Errors()
    rows = read_rows(data, PRODUCT_COLUMNS, errors)
    tax_classes = _TaxClasses()
    parsed = []
    for done, row in enumerate(rows, start=1):
        parsed.append(_parse_row(row, tax_classes, errors))
        report_progress(progress, done, len(rows))

    keys = database_upper(
        [row.sku for row in parsed if row.sku] + [sku for row in parsed for sku, _ in row.components or ()]
    )
    for row in parsed:
        row.key = keys.get(row.sku, "")
        row.component_keys = [(keys[sku], quantity) for sku, quantity in row.components or ()]
    existing = _existing_products(keys.values())
    valid = [row for row in parsed if row.key]
    _check_across_rows(valid, existing, errors)
    _check_kits(valid, existing, errors)
    _check_barcodes(valid, existing, errors)
    if errors:
        raise errors.rejected()
    return ProductImportPlan(rows=valid, existing={key: product.pk for key, product in existing.items()})


class _TaxClasses:
    """Tax class id by code; a code written in another case finds it too, unless that is ambiguous."""

    def __init__(self):
        self.codes = dict(TaxClass.objects.values_list("code", "pk"))
        folded = defaultdict(set)
        for code, pk in self.codes.items():
            folded[code.lower()].add(pk)
        self.folded = {code: pks.pop() for code, pks in folded.items() if len(pks) == 1}

    def id_of(self, text: str) -> int:
        found = self.codes.get(text) or self.folded.get(text.lower())
        if found is None:
            known = ", ".join(sorted(self.codes)) or "none yet"
            raise CellError(f"Unknown tax class {text!r}; the tax classes are: {known}.")
        return found


def _parse_row(row: Row, tax_classes: _TaxClasses, errors: Errors) -> ProductRow:
    cells = row.cells

    def value(column, parse):
        text = cells.get(column, "")
        if not text:
            return None
        try:
            return parse(text)
        except CellError as error:
            errors.add(row.line, column, str(error))
            return None

    parsed = ProductRow(line=row.line, sku="")
    if not cells["sku"]:
        errors.add(row.line, "sku", "The SKU is empty.")
    else:
        parsed.sku = value("sku", lambda text: text_value(text, max_length=64)) or ""
    if not cells["name"]:
        errors.add(row.line, "name", "The name is empty.")
    else:
        parsed.fields["name"] = value("name", lambda text: text_value(text, max_length=200)) or ""
    setters = {
        "barcode": gtin_value,
        "is_active": boolean_value,
        **{name: _decimal_parser(name) for name in DECIMAL_FIELDS},
    }
    for column, parse in setters.items():
        result = value(column, parse)
        if result is not None:
            parsed.fields[column] = result
    parsed.category = value("category", lambda text: text_value(text, max_length=100)) or ""
    parsed.tax_class_written = bool(cells.get("tax_class"))
    tax_class = value("tax_class", tax_classes.id_of)
    if tax_class is not None:
        parsed.fields["tax_class_id"] = tax_class
    parsed.components = value("kit_components", _components)
    if parsed.components is not None:
        parsed.fields["is_kit"] = True
    return parsed


def _decimal_parser(name):
    model_field = Product._meta.get_field(name)
    return lambda text: decimal_value(
        text, max_digits=model_field.max_digits, decimal_places=model_field.decimal_places
    )


def _components(text: str) -> list[tuple[str, int]]:
    components = []
    for part in (part.strip() for part in text.split(";")):
        if not part:
            continue
        sku, colon, quantity = part.rpartition(":")
        if not colon or not sku.strip():
            raise CellError(f"{part!r} is not SKU:quantity; write e.g. BOLT-M8:2;NUT-M8:2.")
        try:
            count = whole_number(quantity.strip(), maximum=1_000_000)
        except CellError as error:
            raise CellError(f"{sku.strip()}: the quantity {error}") from None
        if count < 1:
            raise CellError(f"{sku.strip()}: the quantity must be 1 or more.")
        components.append((sku.strip(), count))
    if not components:
        raise CellError("No components are given; write e.g. BOLT-M8:2;NUT-M8:2.")
    return components


def _existing_products(keys) -> dict[str, Product]:
    found = {}
    for chunk in chunked(sorted(set(keys))):
        products = (
            Product.objects.annotate(key=Upper("sku")).filter(key__in=chunk).only("pk", "sku", "barcode", "is_kit")
        )
        found.update((product.key, product) for product in products)
    return found


def _check_across_rows(rows: list[ProductRow], existing: dict[str, Product], errors: Errors) -> None:
    """Duplicates within the file, tax classes of new products, components named before their kit."""
    seen: dict[str, int] = {}
    barcodes: dict[str, int] = {}
    for row in rows:
        if row.key in seen:
            errors.add(row.line, "sku", f"SKU {row.sku} is also on line {seen[row.key]}.")
        barcode = row.fields.get("barcode")
        if barcode and barcode in barcodes:
            errors.add(row.line, "barcode", f"Barcode {barcode} is also on line {barcodes[barcode]}.")
        # A tax class that was written but is unknown has been reported already.
        if row.key not in existing and row.key not in seen and not row.tax_class_written:
            errors.add(row.line, "tax_class", "A new product needs a tax class.")
        named = set()
        for (sku, _), (key, _) in zip(row.components or (), row.component_keys, strict=True):
            if key == row.key:
                errors.add(row.line, "kit_components", f"{sku}: a kit cannot contain itself.")
            elif key in named:
                errors.add(row.line, "kit_components", f"{sku} is named twice.")
            elif key not in existing and key not in seen:
                errors.add(
                    row.line,
                    "kit_components",
                    f"{sku} is neither in the catalogue nor on an earlier line of the file.",
                )
            named.add(key)
        seen.setdefault(row.key, row.line)
        if barcode:
            barcodes.setdefault(barcode, row.line)


def _check_kits(rows: list[ProductRow], existing: dict[str, Product], errors: Errors) -> None:
    """After the import no kit may be a component, and no product holding stock may become a kit."""
    new_kits = {row.key: row for row in rows if row.components is not None}
    kits = set(new_kits) | {key for key, product in existing.items() if product.is_kit}
    for row in new_kits.values():
        for (sku, _), (key, _) in zip(row.components, row.component_keys, strict=True):
            if key in kits and key != row.key:
                errors.add(row.line, "kit_components", f"{sku} is a kit; a kit cannot be a component of another.")

    becoming = {existing[key].pk: row for key, row in new_kits.items() if key in existing and not existing[key].is_kit}
    if not becoming:
        return
    holding = StockLevel.objects.filter(product_id__in=becoming).filter(
        Q(on_hand__gt=0) | Q(reserved__gt=0) | Q(quarantined__gt=0) | Q(incoming__gt=0)
    )
    for product_id in sorted(set(holding.values_list("product_id", flat=True))):
        row = becoming[product_id]
        errors.add(
            row.line,
            "kit_components",
            f"{row.sku} holds stock (on hand, reserved, quarantined or on order); a kit has no stock of "
            "its own, so a product with stock cannot become one.",
        )
    used_in = defaultdict(list)
    for component_id, kit_sku, kit_key in (
        KitComponent.objects.filter(component_id__in=becoming)
        .annotate(kit_key=Upper("kit__sku"))
        .values_list("component_id", "kit__sku", "kit_key")
        .order_by("kit__sku")
    ):
        # A kit whose components this file replaces is checked against its new components above.
        if kit_key not in new_kits:
            used_in[component_id].append(kit_sku)
    for product_id, kit_skus in sorted(used_in.items()):
        row = becoming[product_id]
        errors.add(
            row.line,
            "kit_components",
            f"{row.sku} is a component of {', '.join(kit_skus)}; a kit cannot be a component, so it "
            "cannot become a kit.",
        )


def _check_barcodes(rows: list[ProductRow], existing: dict[str, Product], errors: Errors) -> None:
    """A barcode the file gives one product must not stay with another product after the import."""
    by_barcode = {}
    for row in rows:
        by_barcode.setdefault(row.fields.get("barcode"), row)
    by_barcode.pop(None, None)
    if not by_barcode:
        return
    rows_by_key = {}
    for row in rows:
        rows_by_key.setdefault(row.key, row)
    owners = (
        Product.objects.filter(barcode__in=list(by_barcode))
        .annotate(key=Upper("sku"))
        .values_list("barcode", "sku", "key")
    )
    for barcode, owner_sku, owner_key in owners:
        row = by_barcode[barcode]
        if owner_key == row.key:
            continue
        owner_row = rows_by_key.get(owner_key)
        # The owner gives the barcode up on its own line of the file: the two may swap barcodes.
        if owner_row is not None and owner_row.fields.get("barcode") not in (None, barcode):
            continue
        errors.add(row.line, "barcode", f"Barcode {barcode} belongs to product {owner_sku}.")
