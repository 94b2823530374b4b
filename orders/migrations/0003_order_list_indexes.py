import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.comparison
from django.db import migrations, models

# How the order list's filter columns go together (walk-in orders are never unpaid, completed orders are
# paid): without it the planner takes them as independent, expects a combination nobody has to be
# common, and walks the whole table looking for it.
STATISTICS = """
CREATE STATISTICS order_list_filters (mcv) ON status, channel, payment_status, hold_reason FROM orders_order;
ANALYZE orders_order;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_returns_and_delivery"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="order",
            name="order_placed",
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["channel", "status", "-id"], name="order_channel"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["channel", "payment_status", "-id"], name="order_channel_payment"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["payment_status", "status", "-id"], name="order_payment"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("hold_reason", ""), _negated=True),
                fields=["hold_reason", "-id"],
                name="order_hold_reason",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                django.db.models.functions.comparison.Cast(
                    models.Func(
                        models.Value("UTC"), "placed_at", function="timezone", output_field=models.DateTimeField()
                    ),
                    models.DateField(),
                ),
                models.F("id"),
                name="order_placed_day",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("customer_name", config="simple"),
                name="order_name_search",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["email"], include=("id",), name="order_email_prefix", opclasses=["text_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("external_id", ""), _negated=True), fields=["external_id"], name="order_external_id"
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(fields=["warehouse", "order"], name="shipment_warehouse_order"),
        ),
        migrations.RunSQL(STATISTICS, reverse_sql="DROP STATISTICS IF EXISTS order_list_filters;"),
    ]
