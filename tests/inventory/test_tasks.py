"""Import tasks: a real Celery worker runs uploads of thousands of rows; jobs finish once, and a task
that breaks off leaves a failed job rather than one running forever."""

import time
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice import roles
from backoffice.jobs import job_create
from backoffice.models import BackgroundJob
from inventory.models import KitComponent, Product, StockLevel, StockMovement
from inventory.tasks import product_import_task, stock_count_import_task
from tests.inventory.factories import BinFactory, ProductFactory, TaxClassFactory, WarehouseFactory

ROWS = 3000


@pytest.fixture
def worker(shared_media, celery_worker):
    return celery_worker


def wait_for_finish(job_id, timeout=120.0) -> BackgroundJob:
    deadline = time.monotonic() + timeout
    seen_progress = set()
    while True:
        job = BackgroundJob.objects.get(pk=job_id)
        seen_progress.add((job.status, job.done))
        if job.is_finished:
            job.seen_progress = seen_progress
            return job
        assert time.monotonic() < deadline, f"the job did not finish in {timeout} s: {job.status} {job.message}"
        time.sleep(0.1)


def product_rows(count, bad_lines=()):
    lines = ["sku,name,tax_class,list_price,weight_kg"]
    for n in range(count):
        line_number = n + 2
        price = "-1" if line_number in bad_lines else f"{n}.99"
        lines.append(f"IMP-{n:05d},Imported product {n},standard,{price},0.250")
    return ("\r\n".join(lines) + "\r\n").encode()


def snapshot():
    return (
        list(Product.objects.order_by("pk").values()),
        KitComponent.objects.count(),
        list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand")),
        StockMovement.objects.count(),
    )


@pytest.mark.worker
def test_an_uploaded_file_of_thousands_of_rows_is_imported_by_the_worker(worker, client, staff_user):
    TaxClassFactory(code="standard")
    ProductFactory(sku="imp-00007", name="Old name")
    client.force_login(staff_user(roles.WAREHOUSE))

    response = client.post(
        reverse("inventory:product-import"),
        {"file": SimpleUploadedFile("catalogue.csv", product_rows(ROWS), content_type="text/csv")},
    )

    job = wait_for_finish(BackgroundJob.objects.get().pk)
    assert response.status_code == 302
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.errors
    assert job.message == "2,999 products created, 1 updated, 0 unchanged."
    assert (job.done, job.total) == (ROWS, ROWS)
    assert Product.objects.count() == ROWS
    updated = Product.objects.get(sku="imp-00007")
    assert (updated.name, updated.list_price, updated.weight_kg) == (
        "Imported product 7",
        Decimal("7.9900"),
        Decimal("0.250"),
    )
    assert Product.objects.get(sku="IMP-02999").list_price == Decimal("2999.9900")


@pytest.mark.worker
def test_a_bad_file_ends_failed_with_its_report_and_nothing_written(worker, client, staff_user):
    TaxClassFactory(code="standard")
    ProductFactory(sku="KEPT")
    before = snapshot()
    client.force_login(staff_user(roles.WAREHOUSE))

    client.post(
        reverse("inventory:product-import"),
        {"file": SimpleUploadedFile("bad.csv", product_rows(ROWS, bad_lines={900, 2500}), content_type="text/csv")},
    )

    job = wait_for_finish(BackgroundJob.objects.get().pk)
    assert job.status == BackgroundJob.Status.FAILED
    assert job.errors == [
        {"row": 900, "column": "list_price", "message": "-1 is negative; it must be zero or more."},
        {"row": 2500, "column": "list_price", "message": "-1 is negative; it must be zero or more."},
    ]
    assert snapshot() == before
    assert job.input_file.read() == product_rows(ROWS, bad_lines={900, 2500})


@pytest.mark.worker
def test_a_count_file_is_posted_by_the_worker(worker, client, staff_user):
    leeds = WarehouseFactory(code="leeds")
    bins = [BinFactory(warehouse=leeds, code=f"A-{n:02d}") for n in range(20)]
    products = ProductFactory.create_batch(100)
    lines = ["warehouse,bin,sku,counted"] + [
        f"leeds,{bin_.code},{product.sku},{(i + j) % 7}"
        for i, bin_ in enumerate(bins)
        for j, product in enumerate(products)
    ]
    client.force_login(staff_user(roles.WAREHOUSE))

    client.post(
        reverse("inventory:stock-count-import"),
        {"file": SimpleUploadedFile("count.csv", "\n".join(lines).encode(), content_type="text/csv")},
    )

    job = wait_for_finish(BackgroundJob.objects.get().pk)
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.errors
    assert (job.result["rows"], job.result["bins"]) == (2000, 20)
    expected = {p.pk: sum((i + j) % 7 for i in range(20)) for j, p in enumerate(products)}
    assert dict(StockLevel.objects.values_list("product_id", "on_hand")) == expected


# --- without a worker: the task bodies run in this process ---------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def queued_job(data: bytes, kind="inventory.product_import") -> BackgroundJob:
    return job_create(kind=kind, title="Import", input_file=ContentFile(data, name="upload.csv"))


@pytest.mark.django_db
def test_a_finished_job_is_not_run_again(media_root):
    TaxClassFactory(code="standard")
    job = queued_job(b"sku,name,tax_class\r\nA-1,First,standard\r\n")
    product_import_task(job.pk)
    Product.objects.all().delete()
    finished = BackgroundJob.objects.values().get(pk=job.pk)

    product_import_task(job.pk)  # delivered a second time

    assert not Product.objects.exists()
    assert BackgroundJob.objects.values().get(pk=job.pk) == finished


# Transactional like a worker: the failure handler opens a fresh connection, which a test transaction forbids.
@pytest.mark.django_db(transaction=True)
def test_a_task_that_breaks_off_records_the_failure_on_its_job(media_root):
    job = queued_job(b"warehouse,bin,sku,counted\r\n", kind="inventory.stock_count_import")
    job.input_file.storage.delete(job.input_file.name)

    outcome = stock_count_import_task.apply(args=[job.pk])

    job.refresh_from_db()
    assert outcome.failed()
    assert job.status == BackgroundJob.Status.FAILED
    assert job.message == (
        "The import stopped on an unexpected error (FileNotFoundError) and nothing was written; the file is "
        "kept. Upload it again, and tell an administrator if this repeats."
    )
    assert job.errors == [{"row": None, "column": "", "message": job.message}]
