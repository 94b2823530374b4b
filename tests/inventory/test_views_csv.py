"""The CSV import pages, the example files, the kept upload, and the stock level export."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice import roles
from backoffice.models import BackgroundJob
from inventory import services
from inventory.imports import product_import_run, stock_count_import_check
from inventory.models import Product
from inventory.services import StockLine
from tests.inventory.factories import BinFactory, ProductFactory, TaxClassFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, url_name, data: bytes, name="products.csv"):
    return client.post(reverse(url_name), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


@pytest.mark.parametrize(
    ("url_name", "allowed", "refused"),
    [
        ("inventory:product-import", roles.WAREHOUSE, roles.BUYER),  # a buyer may change but not add products
        ("inventory:stock-count-import", roles.WAREHOUSE, roles.CLERK),
        ("inventory:stock-level-export", roles.CLERK, None),
        ("inventory:product-import-example", roles.CLERK, None),
    ],
)
def test_pages_need_sign_in_the_inventory_section_and_their_model_permissions(
    client, client_as, url_name, allowed, refused
):
    assert client.get(reverse(url_name)).status_code == 302
    assert client_as(None).get(reverse(url_name)).status_code == 403
    if refused:
        assert client_as(refused).get(reverse(url_name)).status_code == 403
    assert client_as(allowed).get(reverse(url_name)).status_code == 200


def test_the_import_page_describes_the_columns_and_offers_an_example(client_as):
    response = client_as(roles.WAREHOUSE).get(reverse("inventory:product-import"))

    page = response.content.decode()
    assert "<code>kit_components</code>" in page
    assert reverse("inventory:product-import-example") in page
    assert 'enctype="multipart/form-data"' in page


def test_an_upload_keeps_the_file_starts_a_job_and_shows_its_progress(client_as, django_capture_on_commit_callbacks):
    client = client_as(roles.WAREHOUSE)
    data = b"sku,name,tax_class\r\nA-1,First,standard\r\n"

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, "inventory:product-import", data)

    job = BackgroundJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"{reverse('inventory:product-import')}?job={job.pk}"
    assert len(callbacks) == 1  # the task is enqueued once the job is committed
    assert (job.kind, job.status, job.params) == (
        "inventory.product_import",
        "queued",
        {"filename": "products.csv"},
    )
    assert job.input_file.read() == data
    page = client.get(response.url).content.decode()
    assert f'id="job-{job.pk}"' in page
    assert f'hx-get="{reverse("job-detail", args=[job.pk])}"' in page
    assert f'hx-get="{response.url}"' in page  # the outcome below the card waits for the job too


def test_a_finished_import_shows_its_outcome_and_stops_polling(client_as):
    TaxClassFactory(code="standard")
    client = client_as(roles.WAREHOUSE)
    response = upload(client, "inventory:product-import", b"sku,name,tax_class\r\nA-1,First,standard\r\n")
    product_import_run(job_id=BackgroundJob.objects.get().pk)

    outcome = client.get(response.url, headers={"HX-Request": "true"}).content.decode()

    assert "<html" not in outcome
    assert 'id="import-outcome"' in outcome
    assert "hx-get" not in outcome
    assert 'Products created</th><td class="num">1<' in outcome
    assert Product.objects.filter(sku="A-1").exists()


def test_a_refused_import_shows_the_report_and_the_kept_file(client_as):
    client = client_as(roles.WAREHOUSE)
    data = b"sku,name,colour\r\nA-1,First,red\r\n"
    response = upload(client, "inventory:product-import", data)
    job = BackgroundJob.objects.get()
    product_import_run(job_id=job.pk)

    page = client.get(response.url).content.decode()

    assert "Nothing was imported: 1 problem found." in page
    assert "<td>colour</td><td>Unknown column;" in page
    kept = client.get(reverse("inventory:import-file", args=[job.pk]))
    assert b"".join(kept.streaming_content) == data
    assert kept["Content-Disposition"] == 'attachment; filename="products.csv"'


def test_only_the_uploader_sees_an_import(client_as, client):
    owner = client_as(roles.WAREHOUSE)
    upload(owner, "inventory:product-import", b"sku,name\r\nA-1,First\r\n")
    job = BackgroundJob.objects.get()

    other = client_as(roles.WAREHOUSE)

    assert other.get(reverse("inventory:product-import"), {"job": job.pk}).status_code == 403
    assert other.get(reverse("inventory:import-file", args=[job.pk])).status_code == 403
    assert other.get(reverse("inventory:stock-count-import"), {"job": job.pk}).status_code == 404


def test_an_upload_without_a_file_is_refused_on_the_form(client_as):
    response = client_as(roles.WAREHOUSE).post(reverse("inventory:product-import"), {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not BackgroundJob.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_on_the_form(client_as, monkeypatch):
    monkeypatch.setattr("inventory.views.csv.MAX_FILE_BYTES", 1024 * 1024)

    response = upload(client_as(roles.WAREHOUSE), "inventory:product-import", b"x" * (1024 * 1024 + 1))

    assert response.status_code == 400
    assert "The file is larger than 1 MB" in response.content.decode()
    assert not BackgroundJob.objects.exists()


def test_the_count_example_file_is_valid_against_a_matching_store(client_as):
    leeds = WarehouseFactory(code="leeds")
    BinFactory(warehouse=leeds, code="A-01-1")
    BinFactory(warehouse=leeds, code="A-01-2")
    ProductFactory(sku="BOLT-M8")
    ProductFactory(sku="NUT-M8")

    response = client_as(roles.WAREHOUSE).get(reverse("inventory:stock-count-import-example"))

    assert response["Content-Disposition"] == 'attachment; filename="stock-counts-example.csv"'
    assert len(stock_count_import_check(data=response.content).rows) == 3


# --- export ---------------------------------------------------------------------------------------


def exported(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_the_stock_level_export_lists_every_level_with_its_value(client_as):
    leeds = WarehouseFactory(code="leeds")
    york = WarehouseFactory(code="york")
    bolt = ProductFactory(sku="BOLT", name="Hex bolt, M8", cost_price=Decimal("0.3333"))
    formula = ProductFactory(sku="ZED", name="=HYPERLINK(1)", cost_price=Decimal("2.0000"))
    services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(bolt.pk, 10), StockLine(formula.pk, 1)])
    services.stock_receive(warehouse_id=york.pk, lines=[StockLine(bolt.pk, 3)])
    services.stock_reserve(warehouse_id=leeds.pk, lines=[StockLine(bolt.pk, 4)])
    services.stock_level_set_reorder(product_id=bolt.pk, warehouse_id=leeds.pk, reorder_point=5, reorder_quantity=20)

    response = client_as(roles.CLERK).get(reverse("inventory:stock-level-export"))

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="stock-levels-')
    assert exported(response) == [
        ["sku", "name", "warehouse", "on_hand", "reserved", "available", "quarantined", "incoming",
         "reorder_point", "reorder_quantity", "unit_cost", "value"],
        ["BOLT", "Hex bolt, M8", "leeds", "10", "4", "6", "0", "0", "5", "20", "0.3333", "3.33"],
        ["BOLT", "Hex bolt, M8", "york", "3", "0", "3", "0", "0", "0", "0", "0.3333", "1.00"],
        ["ZED", "'=HYPERLINK(1)", "leeds", "1", "0", "1", "0", "0", "0", "0", "2.0000", "2.00"],
    ]  # fmt: skip


def test_the_stock_level_export_can_be_limited_to_one_warehouse(client_as):
    leeds = WarehouseFactory(code="leeds")
    york = WarehouseFactory(code="york")
    bolt = ProductFactory(sku="BOLT")
    services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(bolt.pk, 10)])
    services.stock_receive(warehouse_id=york.pk, lines=[StockLine(bolt.pk, 3)])
    client = client_as(roles.CLERK)

    response = client.get(reverse("inventory:stock-level-export"), {"warehouse": "york"})

    assert [row[2:4] for row in exported(response)[1:]] == [["york", "3"]]
    assert response["Content-Disposition"].startswith('attachment; filename="stock-levels-york-')
    assert client.get(reverse("inventory:stock-level-export"), {"warehouse": "nowhere"}).status_code == 404


def test_the_export_streams_thousands_of_levels_in_chunks(client_as):
    leeds = WarehouseFactory(code="leeds")
    products = ProductFactory.create_batch(1200)
    services.stock_receive(warehouse_id=leeds.pk, lines=[StockLine(p.pk, 1) for p in products])

    response = client_as(roles.CLERK).get(reverse("inventory:stock-level-export"))
    chunks = list(response.streaming_content)

    assert len(chunks) == 3  # the header with 500 rows, 500 rows, 200 rows
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode()[1:], newline="")))
    assert [row[0] for row in rows[1:]] == sorted(p.sku for p in products)


def test_a_failed_import_can_run_again_on_its_kept_file(client_as):
    client = client_as(roles.WAREHOUSE)
    data = b"sku,name,tax_class\r\nA-1,First,standard\r\n"
    upload(client, "inventory:product-import", data)
    failed = BackgroundJob.objects.get()
    product_import_run(job_id=failed.pk)  # no tax class "standard" yet
    TaxClassFactory(code="standard")

    response = client.post(reverse("inventory:import-again", args=[failed.pk]))

    again = BackgroundJob.objects.exclude(pk=failed.pk).get()
    assert response.url == f"{reverse('inventory:product-import')}?job={again.pk}"
    assert (again.kind, again.params, again.input_file.name) == (
        failed.kind,
        failed.params,
        failed.input_file.name,
    )
    product_import_run(job_id=again.pk)
    again.refresh_from_db()
    assert again.status == BackgroundJob.Status.SUCCEEDED
    assert Product.objects.filter(sku="A-1").exists()
    assert client.post(reverse("inventory:import-again", args=[again.pk])).status_code == 404
    assert client_as(roles.WAREHOUSE).post(reverse("inventory:import-again", args=[failed.pk])).status_code == 403
