from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.exceptions import ImportRejected
from pricing.imports import competitor_prices_import
from pricing.models import CompetitorPrice
from tests.inventory.factories import ProductFactory

pytestmark = pytest.mark.django_db


def rows(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_good_file_records_every_price(staff_user):
    mug, plate = ProductFactory(sku="Mug-1"), ProductFactory(sku="PLATE-2")
    buyer = staff_user("Manager")

    count = competitor_prices_import(
        data=rows(
            "sku;competitor;price;observed_at;url",
            "mug-1;HomeHub;11.49;2026-01-20;https://homehub.example/mug",
            "PLATE-2;Kitchen Barn;24;;",
        ),
        actor=buyer,
    )

    assert count == 2
    first = CompetitorPrice.objects.get(product=mug)
    assert (first.competitor, first.price, first.url) == ("HomeHub", Decimal("11.49"), "https://homehub.example/mug")
    assert first.observed_at.date().isoformat() == "2026-01-20"
    assert first.recorded_by == buyer
    assert CompetitorPrice.objects.get(product=plate).price == Decimal("24.00")


def test_a_bad_file_records_nothing_and_names_each_problem():
    ProductFactory(sku="MUG-1")
    data = rows(
        "sku,competitor,price,observed_at,url",
        "MUG-1,HomeHub,11.49,,",
        "NOPE,HomeHub,5,,",
        "MUG-1,,12.5,,",
        "MUG-1,Argos,12,5,,",
        "MUG-1,Argos,-3,,",
        "MUG-1,Argos,3.999,2099-01-01,ftp://x",
    )

    with pytest.raises(ImportRejected) as rejected:
        competitor_prices_import(data=data)

    assert [(e.row, e.column, e.message) for e in rejected.value.errors] == [
        (3, "sku", "No product has the SKU 'NOPE'."),
        (4, "competitor", "Give the competitor's name."),
        # An unquoted decimal comma splits the value: 12 is the price, 5 lands in observed_at.
        (5, "observed_at", "'5' is not a date like 2026-11-20 or 2026-11-20T14:30."),
        (6, "price", "-3 is negative; it must be zero or more."),
        (7, "price", "3.999 has more than 2 decimal places."),
        (7, "observed_at", "This date is in the future."),
        (7, "url", "'ftp://x' is not a web address (http:// or https://)."),
    ]
    assert not CompetitorPrice.objects.exists()


def test_the_import_page(client_as):
    ProductFactory(sku="MUG-1")
    client = client_as("Manager")
    url = reverse("pricing:competitorprice-import")

    bad = client.post(url, {"file": SimpleUploadedFile("p.csv", rows("sku,competitor,price", "X,Y,1"))})
    assert b"Nothing was imported" in bad.content and b"No product has the SKU" in bad.content

    good = client.post(url, {"file": SimpleUploadedFile("p.csv", rows("sku,competitor,price", "mug-1,Y,1"))})
    assert good.status_code == 302
    assert CompetitorPrice.objects.count() == 1
    assert client_as("Clerk").post(url, {"file": SimpleUploadedFile("p.csv", b"")}).status_code == 403


def test_the_example_file_imports_cleanly(client_as):
    ProductFactory(sku="DRK-0001")
    example = client_as("Manager").get(reverse("pricing:competitorprice-import-example"))
    assert competitor_prices_import(data=example.content) == 2
