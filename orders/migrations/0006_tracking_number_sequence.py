"""The sequence table-rate carriers' tracking numbers are drawn from (orders.shipping.carriers.table_rate):
drawn without a lock, so label workers run in parallel; unique, never reused."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_invoice_discounts"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS orders_tracking_number_seq START 1 NO CYCLE",
            "DROP SEQUENCE IF EXISTS orders_tracking_number_seq",
        ),
    ]
