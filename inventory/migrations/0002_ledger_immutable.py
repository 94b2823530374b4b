"""The stock ledger is append-only: the database refuses UPDATE and DELETE of movements.

A mistake is corrected by a new movement (inventory.services). TRUNCATE, which only a deliberate
administrative reset (or the test suite's flush) uses, is not affected.
"""

from django.db import migrations

FORBID = """
CREATE FUNCTION inventory_movement_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are immutable: % refused on movement %', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER inventory_movement_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory_movement_immutable();
"""

ALLOW = """
DROP TRIGGER IF EXISTS inventory_movement_immutable ON inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory_movement_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
