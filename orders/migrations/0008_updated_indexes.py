# ShipStation's export reads what changed since a moment: indexes on the orders' and shipments'
# updated_at, built without locking writes out of the tables (a shop may have a million orders).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0007_shipstation"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["updated_at"], name="order_updated"),
        ),
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(fields=["updated_at"], name="shipment_updated"),
        ),
    ]
