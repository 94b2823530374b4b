"""Product import, the writing: a checked file's products are created and updated in one
transaction, all of them or none (products.py checks the file first)."""

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from inventory.imports.csvfile import chunked, database_upper, plural, refuse
from inventory.imports.jobs import ImportOutcome, import_job_run
from inventory.imports.products import ProductImportPlan, ProductRow, product_import_check
from inventory.models import Category, KitComponent, Product

BATCH_SIZE = 500

_CONFLICT = (
    "The catalogue changed while the file was being checked (a product or barcode was added or "
    "removed meanwhile); nothing was imported. Upload the file again to check it against the current "
    "catalogue."
)


def product_import_write(*, plan: ProductImportPlan) -> ImportOutcome:
    """Create and update the products of a checked file in one transaction: all of them or none.

    Raises ImportRejected when the catalogue changed since the check in a way that conflicts.
    """
    try:
        with transaction.atomic():
            return _write(plan)
    except IntegrityError as error:
        # A unique index (SKU, barcode) or a foreign key met a concurrent change the check did not see.
        raise refuse(_CONFLICT) from error


def _write(plan: ProductImportPlan) -> ImportOutcome:
    products = _lock_products(plan.existing.values())
    if {key: product.pk for key, product in products.items()} != plan.existing:
        raise refuse(_CONFLICT)
    categories, categories_created = _categories([row.category for row in plan.rows if row.category])
    now = timezone.now()
    created, changed, changed_fields, moved_barcodes = [], [], {"updated_at"}, []
    for row in plan.rows:
        values = dict(row.fields)
        if row.category:
            values["category_id"] = categories[row.category]
        product = products.get(row.key)
        if product is None:
            product = Product(sku=row.sku, **values)
            products[row.key] = product
            created.append(product)
            continue
        differences = {name for name, value in values.items() if getattr(product, name) != value}
        if not differences:
            continue
        if "barcode" in differences and product.barcode:
            moved_barcodes.append(product.pk)
        for name in differences:
            setattr(product, name, values[name])
        product.updated_at = now
        changed.append(product)
        changed_fields |= differences
    # Products that give up their barcode lose it first: the unique index is checked row by row, so
    # two products swapping barcodes would otherwise collide halfway through the update.
    if moved_barcodes:
        Product.objects.filter(pk__in=moved_barcodes).update(barcode="")
    Product.objects.bulk_update(changed, sorted(changed_fields), batch_size=BATCH_SIZE)
    Product.objects.bulk_create(created, batch_size=BATCH_SIZE)
    kits = _replace_components(plan.rows, products)
    # A kit whose components changed but whose own fields did not is updated all the same.
    only_components = kits - {product.pk for product in created} - {product.pk for product in changed}
    if only_components:
        Product.objects.filter(pk__in=only_components).update(updated_at=now)
    updated = len(changed) + len(only_components)
    result = {
        "rows": len(plan.rows),
        "created": len(created),
        "updated": updated,
        "unchanged": len(plan.rows) - len(created) - updated,
        "categories_created": categories_created,
        "kits": len(kits),
    }
    return ImportOutcome(_summary(result), result)


def _lock_products(product_ids) -> dict[str, Product]:
    """The file's existing products, locked in primary-key order (the one lock order of the app)."""
    found = {}
    for chunk in chunked(sorted(product_ids)):
        products = Product.objects.select_for_update().annotate(key=Upper("sku")).filter(pk__in=chunk)
        found.update((product.key, product) for product in products.order_by("pk"))
    return found


def _categories(names: list[str]) -> tuple[dict[str, int], int]:
    """Category id by name as written in the file, matched without regard to case; missing ones are
    created with the spelling of their first appearance."""
    keys = database_upper(names)
    wanted = {}
    for name in names:
        wanted.setdefault(keys[name], name)
    found = dict(Category.objects.annotate(key=Upper("name")).filter(key__in=list(wanted)).values_list("key", "pk"))
    missing = [Category(name=name) for key, name in sorted(wanted.items()) if key not in found]
    if missing:
        Category.objects.bulk_create(missing, ignore_conflicts=True)
        found = dict(Category.objects.annotate(key=Upper("name")).filter(key__in=list(wanted)).values_list("key", "pk"))
    return {name: found[keys[name]] for name in names}, len(missing)


def _replace_components(rows: list[ProductRow], products: dict[str, Product]) -> set[int]:
    """Give each kit of the file the components it lists where they differ; the ids of kits changed."""
    wanted = {
        products[row.key].pk: {products[key].pk: quantity for key, quantity in row.component_keys}
        for row in rows
        if row.components is not None
    }
    if not wanted:
        return set()
    current = defaultdict(dict)
    for kit_id, component_id, quantity in KitComponent.objects.filter(kit_id__in=wanted).values_list(
        "kit_id", "component_id", "quantity"
    ):
        current[kit_id][component_id] = quantity
    changed = sorted(kit_id for kit_id, components in wanted.items() if current[kit_id] != components)
    KitComponent.objects.filter(kit_id__in=changed).delete()
    KitComponent.objects.bulk_create(
        [
            KitComponent(kit_id=kit_id, component_id=component_id, quantity=quantity)
            for kit_id in changed
            for component_id, quantity in wanted[kit_id].items()
        ],
        batch_size=BATCH_SIZE,
    )
    return set(changed)


def _summary(result: dict) -> str:
    parts = [
        f"{plural(result['created'], 'product')} created",
        f"{result['updated']:,} updated",
        f"{result['unchanged']:,} unchanged",
    ]
    if result["categories_created"]:
        parts.append(f"{plural(result['categories_created'], 'category', 'categories')} created")
    return ", ".join(parts) + "."


def product_import_run(*, job_id: int) -> None:
    """Import the product file kept with a BackgroundJob (the body of product_import_task)."""
    import_job_run(job_id=job_id, check=product_import_check, write=_write_for_job)


def _write_for_job(*, plan: ProductImportPlan, job) -> ImportOutcome:
    return product_import_write(plan=plan)
