"""The version of the reference data each process caches for pricing (pricing/cache.py).

A statement-level trigger on each cached table sets the one CatalogVersion row to the next value of a
sequence. It runs in the changing statement's transaction, so the new version becomes visible exactly
when the change does; a sequence value is never handed out twice, so a version seen inside a
transaction that is later rolled back never comes back with other data. TRUNCATE counts as a change
(the test suite's flush), and the row is recreated when it is missing.
"""

from django.db import migrations, models

CACHED_TABLES = (
    "pricing_pricingpolicy",
    "pricing_taxrate",
    "pricing_promotion",
    "pricing_promotion_products",
    "pricing_promotion_categories",
)

INSTALL = """
CREATE SEQUENCE pricing_catalog_version_seq;
INSERT INTO pricing_catalogversion (id, value) VALUES (1, nextval('pricing_catalog_version_seq'));
CREATE FUNCTION pricing_catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pricing_catalogversion (id, value) VALUES (1, nextval('pricing_catalog_version_seq'))
    ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END;
$$;
""" + "".join(
    f"""
CREATE TRIGGER pricing_catalog_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_catalog_version_bump();
"""
    for table in CACHED_TABLES
)

REMOVE = (
    "".join(f"DROP TRIGGER IF EXISTS pricing_catalog_version ON {table};\n" for table in CACHED_TABLES)
    + """
DROP FUNCTION IF EXISTS pricing_catalog_version_bump();
DROP SEQUENCE IF EXISTS pricing_catalog_version_seq;
"""
)


class Migration(migrations.Migration):
    dependencies = [("pricing", "0002_pricing_policy")]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField()),
            ],
        ),
        migrations.RunSQL(INSTALL, REMOVE),
    ]
