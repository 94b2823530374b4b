"""Labels made by real Celery workers on the machine's Redis: one label, a batch with its merged PDF,
a retry after a failure, and a worker killed (SIGKILL) in the middle of a label, whose label is made
once, by the worker that comes after it (acks_late)."""

import signal
import time
import uuid

import psutil
import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from backoffice import roles
from backoffice.models import BackgroundJob
from orders.models import Parcel
from orders.services.labels import labels_batch_request, labels_request, shipment_service_set
from tests.orders.shipping_support import parcel, pdf_text, ready_order
from tests.workers import start_worker, stop_worker, wait_for

pytestmark = pytest.mark.worker

Status = Parcel.LabelStatus
# The label workers' database connections carry this name (libpq's PGAPPNAME), to find them in
# pg_stat_activity.
APPLICATION = f"label-worker-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def worker(shared_media, celery_worker):
    return celery_worker


def label_files(media) -> list[str]:
    return sorted(p.name for p in (media / "labels").rglob("*.pdf")) if (media / "labels").exists() else []


@pytest.mark.django_db(transaction=True)
def test_a_worker_makes_the_label_once_committed(worker, carriers, shared_media):
    placed = ready_order(("MUG", 2))
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["express"].pk)
    box = parcel(shipment, 900)

    labels_request(parcel_ids=[box.pk])

    wait_for(lambda: Parcel.objects.get(pk=box.pk).label_status != Status.PENDING, message="the label")
    box.refresh_from_db()
    assert (box.label_status, box.label_error, box.label_attempts) == (Status.CREATED, "", 1)
    text = pdf_text(shared_media / box.label_file.name)
    for expected in (box.tracking_number, placed.number, "Ann Lee", "1 High Street", "Leeds LS1 1AA", "EXPRESS"):
        assert expected in text, expected


@pytest.mark.django_db(transaction=True)
def test_a_batch_shows_its_progress_and_ends_in_one_pdf(worker, carriers, shared_media, client, staff_user):
    shipments = [ready_order(("MUG", 1)).shipments.get() for _ in range(12)]
    client.force_login(staff_user(roles.WAREHOUSE))

    response = client.post(reverse("orders:labels-batch"), {"shipment": [s.pk for s in shipments]})
    job_id = BackgroundJob.objects.get().pk
    assert response.url == reverse("job-detail", args=[job_id])
    progress = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in progress

    job = wait_for(lambda: BackgroundJob.objects.filter(pk=job_id, finished_at__isnull=False).first(), 120, "the job")
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.errors
    assert (job.done, job.total, job.message) == (12, 12, "12 labels ready to print")
    pdf = client.get(reverse("orders:labels-batch-pdf", args=[job_id]))
    merged = shared_media / "merged.pdf"
    merged.write_bytes(b"".join(pdf.streaming_content))
    assert len(PdfReader(merged).pages) == 12
    numbers = list(Parcel.objects.order_by("shipment__order__number").values_list("tracking_number", flat=True))
    assert len(set(numbers)) == 12
    text = pdf_text(merged)
    assert all(number in text for number in numbers)
    page = client.get(response.url).content.decode()
    assert reverse("job-download", args=[job_id]) in page


@pytest.mark.django_db(transaction=True)
def test_a_label_that_failed_is_made_by_the_workers_retry(worker, carriers, shared_media):
    shipment = ready_order(("MUG", 1)).shipments.get()
    box = parcel(shipment, 400)
    # The label folder cannot be created yet: a file is in its way.
    shared_media.mkdir(parents=True)
    (shared_media / "labels").write_text("in the way")

    labels_request(parcel_ids=[box.pk])

    failed_once = wait_for(lambda: Parcel.objects.filter(pk=box.pk, label_attempts__gte=1).first(), message="a try")
    assert failed_once.label_status == Status.PENDING
    assert "could not be stored" in failed_once.label_error and "trying again shortly" in failed_once.label_error
    (shared_media / "labels").unlink()

    wait_for(lambda: Parcel.objects.get(pk=box.pk).label_status == Status.CREATED, 60, "the retry")
    box.refresh_from_db()
    assert box.label_attempts >= 2 and box.label_error == ""
    assert label_files(shared_media) == [f"parcel-{box.pk}.pdf"]


# --- a worker killed in the middle of a label ---------------------------------------------------------


def open_label_transaction() -> tuple[int, object] | None:
    """(backend pid, transaction start) of a label worker's connection that is inside a transaction
    holding the row lock on a parcel (SELECT ... FOR UPDATE: a label being made), or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.pid, a.xact_start FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
            WHERE a.application_name = %s AND a.xact_start IS NOT NULL AND l.granted
              AND l.relation = 'orders_parcel'::regclass AND l.mode = 'RowShareLock'
            """,
            [APPLICATION],
        )
        return cursor.fetchone()


def label_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION])
        return cursor.fetchone()[0]


# Enough labels that the worker is still busy once two are made, however fast the machine.
BATCH = 16


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_label_leaves_no_duplicate_and_the_next_worker_makes_it(
    carriers, shared_media
):
    # (The shop holds 14 mugs and 14 plates.)
    shipments = [ready_order(("MUG" if n % 2 else "PLATE", 1)).shipments.get() for n in range(BATCH)]
    # A task taken by a worker that died goes back to the queue after 3 s (not the production hour).
    env = {"PGAPPNAME": APPLICATION, "CELERY_VISIBILITY_TIMEOUT": "3", "MEDIA_ROOT": str(shared_media)}
    first, _ = start_worker(**env)
    second = None
    try:
        job = labels_batch_request(shipment_ids=[s.pk for s in shipments])

        # Catch the worker inside a label's transaction, after some labels are made: freeze it there
        # (SIGSTOP), make sure it still holds the parcel's lock, then kill it and its pool (SIGKILL).
        children = psutil.Process(first.pid).children(recursive=True)
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "never caught the worker inside a label"
            made = Parcel.objects.filter(label_status=Status.CREATED).count()
            caught = open_label_transaction() if made >= 2 else None
            if caught:
                for child in children:
                    child.send_signal(signal.SIGSTOP)
                if open_label_transaction() == caught:
                    break
                for child in children:
                    child.send_signal(signal.SIGCONT)
            time.sleep(0.01)
        made_before_kill = Parcel.objects.filter(label_status=Status.CREATED).count()
        for process in [*children, psutil.Process(first.pid)]:
            process.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        # The dead worker's transaction is rolled back: its label was not made, nothing of it is kept.
        wait_for(lambda: label_backends() == 0, 30, "the dead worker's connections to close")
        assert 2 <= made_before_kill < BATCH
        assert Parcel.objects.filter(label_status=Status.CREATED).count() == made_before_kill
        assert Parcel.objects.exclude(label_status=Status.CREATED).filter(tracking_number="").count() == (
            BATCH - made_before_kill
        )

        second, _ = start_worker(**env)
        job = wait_for(
            lambda: BackgroundJob.objects.filter(pk=job.pk, finished_at__isnull=False).first(), 120, "the batch"
        )
    finally:
        stop_worker(first)
        if second is not None:
            stop_worker(second)

    assert job.status == BackgroundJob.Status.SUCCEEDED, job.errors
    parcels = list(Parcel.objects.order_by("pk"))
    assert [p.label_status for p in parcels] == [Status.CREATED] * BATCH
    numbers = [p.tracking_number for p in parcels]
    assert len(set(numbers)) == BATCH
    # One file per parcel: the killed attempt's file (if it wrote one) was replaced, not kept beside it.
    assert label_files(shared_media) == sorted(f"parcel-{p.pk}.pdf" for p in parcels)
    for box in parcels:
        assert box.tracking_number in pdf_text(shared_media / box.label_file.name)
    assert len(PdfReader(job.output_file.path).pages) == BATCH
