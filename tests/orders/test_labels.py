"""Labels without a worker: the label task's body run in this process (idempotency, retries, final
failure), the label PDF itself, batches and their merged PDF, shipping parcels and the customer's
e-mail, and the Labels block of the order page."""

import re
import threading
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from backoffice import roles
from backoffice.models import BackgroundJob
from inventory.models import StockLevel, StockMovement
from orders.exceptions import OrderError
from orders.models import OrderEvent, Parcel, Shipment
from orders.services.labels import (
    labels_batch_finish,
    labels_batch_progress,
    labels_batch_request,
    labels_request,
    parcel_label_cancel,
    parcel_label_create,
    parcel_ship,
    parcel_tracking_set,
    shipment_confirmation_send,
    shipment_dispatch,
    shipment_service_set,
    shipments_labels_request,
)
from orders.services.placement import ShipmentInput, order_place
from orders.shipping.carriers import ADAPTERS, CarrierUnavailable
from orders.shipping.carriers.table_rate import TableRateCarrier
from orders.shipping.label_pdf import code128_svg
from orders.states import OrderStatus, ShipmentStatus
from orders.tasks import parcel_label_task
from tests.orders.factories import HOME, OFFICE, order
from tests.orders.shipping_support import parcel, pdf_page_size, pdf_text, ready_order

pytestmark = pytest.mark.django_db

Status = Parcel.LabelStatus


def label_files(media) -> list:
    return sorted(path.name for path in (media / "labels").rglob("*.pdf")) if (media / "labels").exists() else []


def requested_parcel(carriers, grams=800, service="standard", *lines, **order_fields):
    """A ready shipment with one packed parcel whose label is pending (its task not run yet)."""
    shipment = ready_order(*(lines or (("MUG", 2),)), **order_fields).shipments.get()
    if service:
        shipment_service_set(shipment_id=shipment.pk, service_id=carriers[service].pk)
    box = parcel(shipment, grams)
    labels_request(parcel_ids=[box.pk])
    box.refresh_from_db()
    return box


def block_storage(media):
    """Make the label folder impossible to create: a file stands where it should be."""
    media.mkdir(parents=True, exist_ok=True)
    (media / "labels").write_text("in the way")


def unblock_storage(media):
    (media / "labels").unlink()


# --- asking -----------------------------------------------------------------------------------------


def test_asking_marks_the_labels_pending_and_enqueues_a_task_each_once_committed(
    carriers, django_capture_on_commit_callbacks
):
    shipment = ready_order(("MUG", 2)).shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["express"].pk)
    boxes = [parcel(shipment, 500, position=1), parcel(shipment, 600, position=2)]

    with django_capture_on_commit_callbacks() as callbacks:
        job = labels_request(parcel_ids=[b.pk for b in boxes])

    assert job is None
    assert len(callbacks) == 1  # one callback enqueues both tasks
    assert set(Parcel.objects.values_list("label_status", flat=True)) == {Status.PENDING}


def test_a_shipment_without_a_service_gets_one_by_rate_shopping(carriers):
    shipment = ready_order(("MUG", 2)).shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(promised_date="2000-01-03")  # no service arrives in time
    box = parcel(shipment, 800)

    labels_request(parcel_ids=[box.pk])

    shipment.refresh_from_db()
    assert shipment.service == carriers["express"]  # the fastest, as none meets the promise
    event = OrderEvent.objects.filter(order=shipment.order, kind="shipment").last()
    assert event.message.startswith("Shipment 1: Swift Express (rate shopping: 7.80, arrives ")
    assert "after the promised Mon 3 Jan: none arrives in time" in event.message


def test_a_shipment_no_carrier_delivers_to_shows_a_failed_label_with_the_reason(carriers, client_as):
    placed = ready_order(("MUG", 1))
    shipment = placed.shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(ship_to={**shipment.ship_to, "country": "JP"})
    box = parcel(shipment, 800)

    labels_request(parcel_ids=[box.pk])

    box.refresh_from_db()
    assert box.label_status == Status.FAILED
    assert box.label_error == "No carrier service delivers these parcels to JP: choose a service by hand."
    shipment.refresh_from_db()
    assert shipment.queue_note.startswith("Label failed: No carrier service")
    page = client_as(roles.WAREHOUSE).get(reverse("orders:order-detail", args=[placed.number])).content.decode()
    assert "No carrier service delivers these parcels to JP" in page
    assert reverse("orders:parcel-label-retry", args=[box.pk]) in page


def test_parcels_that_cannot_have_a_label_are_refused_with_the_reason(carriers):
    shipment = ready_order(("MUG", 1)).shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["same_day"].pk)
    box = parcel(shipment, 800)
    with pytest.raises(OrderError, match="Local courier makes no labels: type the tracking number"):
        labels_request(parcel_ids=[box.pk])
    with pytest.raises(OrderError, match="There is no parcel 999999"):
        labels_request(parcel_ids=[999999])


# --- the task: idempotent, retried, failing visibly -------------------------------------------------


def test_the_label_task_run_twice_makes_one_label_with_one_tracking_number(carriers, media):
    box = requested_parcel(carriers)

    parcel_label_task.apply(args=[box.pk]).get()
    box.refresh_from_db()
    first = (box.tracking_number, box.label_file.name)
    parcel_label_task.apply(args=[box.pk]).get()
    parcel_label_create(parcel_id=box.pk)

    box.refresh_from_db()
    assert box.label_status == Status.CREATED
    assert (box.tracking_number, box.label_file.name) == first
    assert box.tracking_number.startswith("SW") and len(box.tracking_number) == 12
    assert box.label_attempts == 1
    assert (box.service, box.rate_amount) == (carriers["standard"], D("3.95"))
    assert label_files(media) == [f"parcel-{box.pk}.pdf"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_parcel_at_once_make_one_label(carriers, media):
    box = requested_parcel(carriers)
    start = threading.Barrier(2)

    def work():
        try:
            start.wait()
            parcel_label_create(parcel_id=box.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    box.refresh_from_db()
    assert (box.label_status, box.label_attempts) == (Status.CREATED, 1)
    assert label_files(media) == [f"parcel-{box.pk}.pdf"]
    # One tracking number was drawn: the sequence moved once.
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM orders_tracking_number_seq")
        assert f"{cursor.fetchone()[0]:09d}" == box.tracking_number[2:11]


class FlakyCarrier(TableRateCarrier):
    """A carrier whose API is down the first time it is asked for a label (a timeout), then works."""

    calls = 0

    def create_label(self, request):
        type(self).calls += 1
        if type(self).calls == 1:
            raise CarrierUnavailable("Flaky did not answer within 10 s")
        return super().create_label(request)


def test_a_carrier_error_is_retried_and_the_label_made_on_the_retry(carriers, monkeypatch):
    monkeypatch.setitem(ADAPTERS, "flaky", f"{__name__}.FlakyCarrier")
    monkeypatch.setattr(FlakyCarrier, "calls", 0)
    swift = carriers["swift"]
    swift.kind = "flaky"
    swift.save()
    box = requested_parcel(carriers)

    with pytest.raises(CarrierUnavailable):
        parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()
    assert (box.label_status, box.label_attempts) == (Status.PENDING, 1)
    assert box.label_error == "Flaky did not answer within 10 s; trying again shortly."

    # The task retries (at once when run in process) and the second attempt makes the label.
    labels_request(parcel_ids=[box.pk])
    FlakyCarrier.calls = 0
    result = parcel_label_task.apply(args=[box.pk])

    assert result.successful()
    box.refresh_from_db()
    assert (box.label_status, box.label_error, box.label_attempts) == (Status.CREATED, "", 3)
    assert box.tracking_number.startswith("SW")


def test_storage_trouble_is_retried_and_after_the_last_try_the_failure_shows_with_a_retry_button(
    carriers, media, client_as, django_capture_on_commit_callbacks
):
    box = requested_parcel(carriers)
    block_storage(media)

    result = parcel_label_task.apply(args=[box.pk])  # retries run at once in process: all fail

    assert result.failed()
    box.refresh_from_db()
    assert box.label_status == Status.FAILED
    assert box.label_attempts == 6  # the first try and 5 retries
    assert box.label_error.startswith("The label file could not be stored")
    assert box.label_error.endswith("gave up after 6 attempts.")
    assert box.tracking_number == "" and not box.label_file
    assert "label failed: The label file could not be stored" in box.shipment.order.events.last().message
    client = client_as(roles.WAREHOUSE)
    page = client.get(reverse("orders:order-detail", args=[box.shipment.order.number])).content.decode()
    assert "gave up after 6 attempts" in page and ">Retry</button>" in page

    unblock_storage(media)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("orders:parcel-label-retry", args=[box.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    box.refresh_from_db()
    assert (box.label_status, box.label_error) == (Status.PENDING, "")
    assert box.shipment.queue_note == ""
    parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()
    assert box.label_status == Status.CREATED


def test_a_carriers_refusal_fails_the_label_at_once(carriers):
    box = requested_parcel(carriers, 25_000)  # heavier than Swift Standard's bands

    result = parcel_label_task.apply(args=[box.pk])

    assert result.successful()  # nothing to retry
    box.refresh_from_db()
    assert (box.label_status, box.label_attempts) == (Status.FAILED, 1)
    assert box.label_error == "Swift Standard takes no parcel of 25000 g to UK: split it, or choose another service."


def test_a_label_cancelled_before_its_task_runs_is_not_made(carriers, media):
    box = requested_parcel(carriers)
    parcel_label_cancel(parcel_id=box.pk)
    parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()
    assert (box.label_status, box.tracking_number) == (Status.CANCELLED, "")
    assert label_files(media) == []


# --- the label PDF ----------------------------------------------------------------------------------


def test_the_label_is_a_4x6_inch_pdf_with_both_addresses_the_tracking_number_and_the_order(carriers, media):
    placed = order_place(data=order(("MUG", 2), shipments=(ShipmentInput(ship_to=OFFICE, shipping_method="Standard"),)))
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["express"].pk)
    box = parcel(shipment, 1250, package_type=Parcel.PackageType.SMALL_BOX)
    labels_request(parcel_ids=[box.pk])
    parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()

    path = media / box.label_file.name
    text = pdf_text(path)
    assert pdf_page_size(path) == "288 x 432 pts"
    assert len(PdfReader(path).pages) == 1
    for expected in (
        box.tracking_number,
        placed.number,
        f"{placed.number}/1/1",
        "Ann Lee",
        "Lee Ltd",
        "Unit 9, Dock Road",
        "Bristol BS1 4AA",
        "1 Depot Road",  # the warehouse it leaves from
        shipment.warehouse.name,
        "Swift",
        "EXPRESS",
        "1.25 kg",
        "1 of 1",
        "Small box",
    ):
        assert expected in text, expected


def test_the_barcode_is_an_inline_svg_about_84_mm_wide_with_bars_a_scanner_reads():
    svg = code128_svg("SW0000000018")
    assert svg.startswith("<svg") and svg.count("<rect") > 20
    total = float(re.search(r'<svg[^>]*width="([\d.]+)mm"', svg).group(1))
    assert 60 <= total <= 90
    bars = [float(w) for w in re.findall(r'<rect[^>]*width="([\d.]+)mm"', svg)]
    assert min(bars) >= 0.25


# --- batches ----------------------------------------------------------------------------------------


def test_a_batch_of_shipments_ends_in_one_merged_pdf_of_all_its_labels(carriers, client_as, media):
    shipments = [ready_order(("MUG", 1)).shipments.get() for _ in range(4)]
    two_boxes = shipments[1]
    parcel(two_boxes, 400, position=1)
    parcel(two_boxes, 700, position=2)
    client = client_as(roles.WAREHOUSE)

    response = client.post(reverse("orders:labels-batch"), {"shipment": [s.pk for s in shipments]})

    job = BackgroundJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("job-detail", args=[job.pk])
    assert (job.kind, job.status, job.total, job.done) == ("orders.labels", "running", 5, 0)
    # Shipments not packed yet got one parcel of their units' weight.
    assert Parcel.objects.filter(shipment=shipments[0]).get().weight_grams == 500
    pending = client.get(reverse("orders:labels-batch-pdf", args=[job.pk]))
    assert pending.status_code == 302  # not finished: back to the progress page

    for parcel_id in job.params["parcel_ids"]:
        parcel_label_task.apply(args=[parcel_id], kwargs={"job_id": job.pk})
    labels_batch_progress(job_id=job.pk)
    job.refresh_from_db()
    assert (job.done, job.message) == (5, "5 of 5 labels ready")
    labels_batch_finish(job_id=job.pk)
    labels_batch_finish(job_id=job.pk)  # a repeat does nothing

    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.errors
    assert job.message == "5 labels ready to print"
    response = client.get(reverse("orders:labels-batch-pdf", args=[job.pk]))
    assert response["Content-Type"] == "application/pdf"
    merged = media / "merged.pdf"
    merged.write_bytes(b"".join(response.streaming_content))
    assert len(PdfReader(merged).pages) == 5
    text = pdf_text(merged)
    expected = [p.tracking_number for s in shipments for p in Parcel.objects.filter(shipment=s).order_by("position")]
    assert [t for t in expected if t in text] == expected
    assert text.index(expected[0]) < text.index(expected[1]) < text.index(expected[4])


def test_a_batch_reports_what_it_could_not_label(carriers, media):
    good = ready_order(("MUG", 1)).shipments.get()
    faraway = ready_order(("MUG", 1)).shipments.get()
    Shipment.objects.filter(pk=faraway.pk).update(ship_to={**faraway.ship_to, "country": "JP"})
    held = ready_order(("MUG", 1), payment_method="prepaid").shipments.get()  # on a payment hold

    job = labels_batch_request(shipment_ids=[good.pk, faraway.pk, held.pk])
    for parcel_id in job.params["parcel_ids"]:
        parcel_label_task.apply(args=[parcel_id], kwargs={"job_id": job.pk})
    labels_batch_finish(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.FAILED
    assert job.message == "1 label ready to print; 2 not made (below): retry them from their orders"
    assert [(e["row"], e["message"]) for e in job.errors] == [
        (f"{held.order.number}/1", "the shipment is pending, not ready to ship"),
        (f"{faraway.order.number}/1", "No carrier service delivers these parcels to JP: choose a service by hand."),
    ]
    assert len(PdfReader(job.output_file.path).pages) == 1


def test_the_batch_view_refuses_nothing_chosen_or_too_many(carriers, client_as):
    client = client_as(roles.WAREHOUSE)
    response = client.post(reverse("orders:labels-batch"), {"next": "/orders/fulfilment/"})
    assert response.status_code == 302 and response.url == "/orders/fulfilment/"
    response = client.post(reverse("orders:labels-batch"), {"shipment": ["1"] * 2 + [str(n) for n in range(2, 600)]})
    assert response.url == reverse("orders:order-list")
    assert not BackgroundJob.objects.exists()
    assert client_as(roles.BUYER).post(reverse("orders:labels-batch"), {"shipment": ["1"]}).status_code == 403


def test_many_parcels_get_a_background_job_by_themselves(carriers, settings):
    settings.LABELS_JOB_THRESHOLD = 2
    shipments = [ready_order(("MUG", 1)).shipments.get() for _ in range(3)]
    assert shipments_labels_request(shipment_ids=[s.pk for s in shipments[:2]]) is None
    job = shipments_labels_request(shipment_ids=[shipments[2].pk, shipments[0].pk, shipments[1].pk])
    assert job is not None and job.total == 3  # labels already asked for count too


# --- label files are private ------------------------------------------------------------------------


def test_a_label_is_downloaded_by_staff_who_see_parcels_and_never_from_media(carriers, client, client_as, media):
    box = requested_parcel(carriers)
    parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()
    url = reverse("orders:parcel-label", args=[box.pk])

    response = client_as(roles.WAREHOUSE).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client_as(roles.BUYER).get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
    assert client.get(f"/media/{box.label_file.name}").status_code == 404


# --- manual carriers, shipping and the customer's e-mail --------------------------------------------


def test_shipping_every_parcel_ships_the_shipment_and_emails_the_tracking(
    carriers, media, django_capture_on_commit_callbacks
):
    placed = ready_order(("MUG", 3))
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["standard"].pk)
    boxes = [parcel(shipment, 1000, position=1), parcel(shipment, 500, position=2)]
    labels_request(parcel_ids=[b.pk for b in boxes])
    for box in boxes:
        parcel_label_create(parcel_id=box.pk)
    first, second = (Parcel.objects.get(pk=b.pk) for b in boxes)
    leeds, mug = shop_of(placed)

    with django_capture_on_commit_callbacks() as callbacks:
        shipped = parcel_ship(parcel_ids=[first.pk])
    assert [p.pk for p in shipped] == [first.pk]
    placed.refresh_from_db()
    assert placed.status == OrderStatus.READY and not callbacks
    assert StockLevel.objects.get(product=mug, warehouse=leeds).reserved == 3

    with django_capture_on_commit_callbacks() as callbacks:
        shipment_dispatch(shipment_id=shipment.pk)
    assert len(callbacks) == 2  # the e-mail task and the invoice PDF's rendering, once committed
    shipment.refresh_from_db()
    placed.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and placed.status == OrderStatus.SHIPPED
    assert (shipment.carrier, shipment.tracking_number) == (
        "Swift",
        f"{first.tracking_number}, {second.tracking_number}",
    )
    assert StockMovement.objects.filter(kind="shipment", product=mug).count() == 1
    assert set(Parcel.objects.values_list("status", flat=True)) == {Parcel.Status.SHIPPED}

    assert shipment_confirmation_send(shipment_id=shipment.pk) is True
    assert shipment_confirmation_send(shipment_id=shipment.pk) is False  # once per shipment
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.test"]
    assert message.subject == f"Your order {placed.number} is on its way"
    for number in (first.tracking_number, second.tracking_number):
        assert number in message.body
        assert f"https://track.swift.example/?n={number}" in message.body
        assert f'<a href="https://track.swift.example/?n={number}">{number}</a>' in message.alternatives[0][0]
    assert "Swift Standard" in message.body
    assert "1 High Street" in message.body
    assert OrderEvent.objects.filter(order=placed, kind="shipping_email").count() == 1


def shop_of(placed):
    shipment = placed.shipments.get()
    return shipment.warehouse, shipment.lines.get().order_line.product


def test_a_parcel_without_its_label_or_tracking_does_not_ship(carriers, media):
    box = requested_parcel(carriers)
    with pytest.raises(OrderError, match=r"label being created\. It ships once its label is made"):
        parcel_ship(parcel_ids=[box.pk])
    assert Parcel.objects.get(pk=box.pk).status == Parcel.Status.PACKED

    courier = ready_order(("MUG", 1)).shipments.get()
    shipment_service_set(shipment_id=courier.pk, service_id=carriers["same_day"].pk)
    parcel(courier, 300)
    with pytest.raises(OrderError, match="has no tracking number: type the one Local courier gave you"):
        shipment_dispatch(shipment_id=courier.pk)


def test_a_manual_carriers_tracking_number_is_typed_and_the_shipment_ships_with_it(carriers, client_as):
    placed = ready_order(("MUG", 1), ("PLATE", 1))
    shipment = placed.shipments.get()
    shipment_service_set(shipment_id=shipment.pk, service_id=carriers["same_day"].pk)
    box = parcel(shipment, 900)
    client = client_as(roles.WAREHOUSE)

    response = client.post(reverse("orders:parcel-tracking", args=[box.pk]), {"tracking_number": " LC 12345 "})
    assert response.status_code == 302
    box.refresh_from_db()
    assert (box.tracking_number, box.service) == ("LC12345", carriers["same_day"])
    other = ready_order(("MUG", 1)).shipments.get()
    shipment_service_set(shipment_id=other.pk, service_id=carriers["same_day"].pk)
    with pytest.raises(OrderError, match="already on parcel"):
        parcel_tracking_set(parcel_id=parcel(other, 100).pk, tracking_number="LC12345")

    page = client.get(reverse("orders:order-detail", args=[placed.number])).content.decode()
    assert reverse("orders:shipment-dispatch", args=[placed.number, 1]) in page
    client.post(reverse("orders:shipment-dispatch", args=[placed.number, 1]))

    shipment.refresh_from_db()
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == ("shipped", "Local courier", "LC12345")
    assert shipment_confirmation_send(shipment_id=shipment.pk)
    assert "LC12345" in mail.outbox[0].body


def test_tracking_numbers_are_typed_for_manual_carriers_only(carriers):
    box = requested_parcel(carriers)
    with pytest.raises(OrderError, match="Swift gives the tracking number with its label"):
        parcel_tracking_set(parcel_id=box.pk, tracking_number="X1")


def test_the_second_of_two_shipments_moves_the_order_from_partially_shipped_to_shipped(carriers, media):
    placed = order_place(
        data=order(
            ("MUG", 1),
            ("PLATE", 1),
            shipments=(ShipmentInput(ship_to=HOME, lines=((0, 1),)), ShipmentInput(ship_to=OFFICE, lines=((1, 1),))),
        )
    )
    first, second = placed.shipments.order_by("position")
    shipments_labels_request(shipment_ids=[first.pk, second.pk])
    for box in Parcel.objects.all():
        parcel_label_create(parcel_id=box.pk)

    shipment_dispatch(shipment_id=first.pk)
    placed.refresh_from_db()
    assert placed.status == OrderStatus.PARTIALLY_SHIPPED
    shipment_dispatch(shipment_id=second.pk)
    placed.refresh_from_db()
    assert placed.status == OrderStatus.SHIPPED


def test_a_held_order_does_not_ship_its_parcels(carriers, media):
    box = requested_parcel(carriers)
    parcel_label_create(parcel_id=box.pk)
    from orders.services.lifecycle import order_hold

    order_hold(order_id=box.shipment.order_id, reason="manual")
    with pytest.raises(OrderError, match="cannot ship now"):
        parcel_ship(parcel_ids=[box.pk])
    assert Parcel.objects.get(pk=box.pk).status == Parcel.Status.PACKED


# --- the order page -----------------------------------------------------------------------------------


def test_the_order_page_shows_each_parcels_label_and_the_rates(
    carriers, client_as, media, django_capture_on_commit_callbacks
):
    box = requested_parcel(carriers)
    parcel_label_create(parcel_id=box.pk)
    box.refresh_from_db()
    number = box.shipment.order.number
    client = client_as(roles.WAREHOUSE)

    page = client.get(reverse("orders:order-detail", args=[number])).content.decode()
    assert "Swift Standard" in page and box.tracking_number in page
    assert reverse("orders:parcel-label", args=[box.pk]) in page
    assert reverse("orders:parcel-label-cancel", args=[box.pk]) in page

    rates = client.get(reverse("orders:shipment-rates", args=[number, 1]), headers={"HX-Request": "true"})
    html = rates.content.decode()
    assert rates.status_code == 200 and "<html" not in html
    assert "Budget Economy" in html and "Local courier Same day" in html
    assert html.index("2.99") < html.index("3.95") < html.index("7.80")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders:parcel-label-cancel", args=[box.pk]))
    response = client.post(reverse("orders:shipment-service", args=[number, 1]), {"service": carriers["express"].pk})
    assert response.status_code == 302
    box.refresh_from_db()
    assert (box.label_status, box.shipment.service) == (Status.CANCELLED, carriers["express"])
    assert label_files(media) == []
    page = client.get(reverse("orders:order-detail", args=[number])).content.decode()
    assert reverse("orders:shipment-labels", args=[number, 1]) in page


def test_while_a_label_is_made_its_block_refreshes_itself(carriers, client_as):
    box = requested_parcel(carriers)
    number = box.shipment.order.number
    client = client_as(roles.WAREHOUSE)
    block_url = reverse("orders:shipment-labels-block", args=[number, 1])

    page = client.get(reverse("orders:order-detail", args=[number])).content.decode()
    assert f'hx-get="{block_url}" hx-trigger="every 2s"' in page

    parcel_label_create(parcel_id=box.pk)
    block = client.get(block_url).content.decode()
    assert "<html" not in block and 'hx-trigger="every 2s"' not in block
    assert Parcel.objects.get(pk=box.pk).tracking_number in block
