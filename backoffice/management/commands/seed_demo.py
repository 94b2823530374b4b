import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from backoffice.models import DemoDataset

# Each app adds its seeder here, in dependency order; a seeder takes (rng, options) and returns a
# one-line summary of what it created.
SEEDERS = (
    "backoffice.demo.seed_staff",
    "inventory.demo.seed_inventory",
    "crm.demo.seed_tiers",
    "crm.demo.seed_customers",
    "pricing.demo.seed_pricing",
    "orders.demo.seed_orders",
)
# Seeders that place orders through services owning durable transactions (order_place), which must not
# nest: they run after the others have committed, and commit as they go.
OWN_TRANSACTIONS = {"orders.demo.seed_orders"}


class Command(BaseCommand):
    help = "Create the deterministic demo data set (the same data on every run with the same --seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261123, help="random seed (default: %(default)s)")
        parser.add_argument(
            "--once", action="store_true", help="do nothing if demo data has been loaded into this database"
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=5000,
            help="how many orders (default: %(default)s); the recent ones are placed through the order "
            "services, the older ones written in bulk, so a million take a few minutes",
        )

    def handle(self, *args, **options):
        if options["once"] and DemoDataset.objects.exists():
            self.stdout.write("Demo data already loaded; skipping.")
            return
        if options["orders"] < 0:
            raise CommandError("--orders must be 0 or more.")
        rng = random.Random(options["seed"])
        settings = {"seed": options["seed"], "orders": options["orders"]}
        with transaction.atomic():
            for path in SEEDERS:
                if path not in OWN_TRANSACTIONS:
                    self._run(path, rng, options)
        for path in SEEDERS:
            if path in OWN_TRANSACTIONS:
                self._run(path, rng, options)
        DemoDataset.objects.create(options=settings)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _run(self, path, rng, options):
        started = time.monotonic()
        summary = import_string(path)(rng, options)
        self.stdout.write(f"  {summary} ({time.monotonic() - started:.1f} s)")
