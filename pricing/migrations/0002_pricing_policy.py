"""The one pricing policy row, so that managers find it in the admin from the start."""

from django.db import migrations


def create_policy(apps, schema_editor):
    apps.get_model("pricing", "PricingPolicy").objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
