from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from backoffice.demo import DEMO_PASSWORD, DEMO_STAFF
from backoffice.models import DemoDataset


@pytest.mark.django_db
def test_seed_demo_creates_a_login_per_role():
    call_command("seed_demo", stdout=StringIO())

    for username, _, _, role in DEMO_STAFF:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert User.objects.get(username="manager").is_staff
    assert not User.objects.get(username="clerk").is_staff


@pytest.mark.django_db
def test_seed_demo_once_loads_only_once(capsys):
    call_command("seed_demo", "--once")
    call_command("seed_demo", "--once")

    assert DemoDataset.objects.count() == 1
    assert "already loaded" in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_demo_builds_a_consistent_stocked_catalogue():
    from django.db.models import Sum

    from inventory.models import BALANCE_OF_KIND, Product, StockLevel, StockMovement, Warehouse

    call_command("seed_demo", stdout=StringIO())

    assert Warehouse.objects.count() == 3
    assert Product.objects.count() == 300
    assert Product.objects.filter(is_kit=True, components__isnull=False).distinct().count() == 12
    well_stocked = StockLevel.objects.filter(product__is_active=True, available__gte=100).values("product")
    assert well_stocked.distinct().count() >= 50
    on_hand_kinds = [kind for kind, balance in BALANCE_OF_KIND.items() if balance == "on_hand"]
    ledger = {
        (row["product_id"], row["warehouse_id"]): row["total"]
        for row in StockMovement.objects.filter(kind__in=on_hand_kinds)
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
    }
    for level in StockLevel.objects.all():
        assert level.on_hand == ledger.get((level.product_id, level.warehouse_id), 0)
