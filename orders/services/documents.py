"""Printed documents (invoices, packing slips, credit notes, pick lists) kept as PDF files, rendered
by Celery workers: WeasyPrint never runs in a web request.

- `document_request`: what the `.pdf` URLs (and `invoice_issue`, once committed) call. It reads what
  the document prints now (orders.documents.sources), hashes it into a version and gets or creates
  the Document row of (kind, key, version). A ready one is served from its file; a new one is
  pending and, once committed, orders.tasks.document_render_task renders it.
- `document_render`: the task's body. It renders outside any transaction (a PDF takes up to a
  second or more of CPU) and stores the file under a short lock of the row, so running it twice,
  or two workers at once, leaves one ready row with one file.
- `document_render_fail`: a failure that retrying will not cure, shown on the document's page with
  a Retry button (`document_request(retry=True)`).

Versions: a document whose content changed since it was asked for (a payment recorded, a tracking
number added) is rendered as it is now, into the row of its current version; the row asked for is
marked superseded, and its page sends the reader on to the current version. A row is never changed
back from ready: an old version's PDF stays what it printed then.
"""

import logging
from dataclasses import dataclass
from functools import partial

from django.core.files.base import ContentFile
from django.db import DatabaseError, OperationalError, transaction
from django.utils import timezone

from orders.documents.rendering import render_pdf
from orders.documents.sources import NOT_FOUND, Source, document_version, source_get
from orders.exceptions import OrderError
from orders.models import Document
from orders.models.documents import DOCUMENT_STALE_AFTER

logger = logging.getLogger(__name__)

Status = Document.Status
# Failures a later attempt may not meet: storage or database trouble.
TRANSIENT_ERRORS = (OSError, OperationalError)
# Attempts at one document before it is marked failed: the task's retries, and renders cut short
# by the hard time limit (which kill the worker's process before it can record anything).
MAX_ATTEMPTS = 6


class DocumentNotFound(OrderError):
    """There is no such document: no such order, shipment, return or pick list, or not one that has
    it (an order not invoiced yet, a return not settled by credit)."""


@dataclass(frozen=True)
class DocumentRequest:
    document: Document
    source: Source


def document_request(*, kind: str, key: str, retry: bool = False) -> DocumentRequest:
    """The Document of what `kind` `key` prints now, asking a worker to render it unless it is ready.

    A new one is pending and enqueued once committed; a pending one is not enqueued again (unless
    its task looks lost, DOCUMENT_STALE_AFTER); a failed one stays failed unless `retry`; a superseded one
    (its content came back) is pending again. Raises DocumentNotFound.
    """
    source = source_get(kind=kind, key=key)
    if source is None:
        raise DocumentNotFound(NOT_FOUND[kind])
    version = document_version(source)
    now = timezone.now()
    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            kind=source.kind, key=source.key, version=version, defaults={"title": source.title, "requested_at": now}
        )
        if created or _ask_again(document, now, retry):
            from orders.tasks import document_render_task  # the tasks import this module

            # robust: a broker that cannot be reached leaves the row pending, asked for again later.
            transaction.on_commit(partial(document_render_task.delay, document.pk), robust=True)
            if not created:
                document.refresh_from_db()
    return DocumentRequest(document, source)


def _ask_again(document: Document, now, retry: bool) -> bool:
    """Make an existing row pending for a new task if it needs one; conditional updates, so that of
    requests at the same moment only one enqueues."""
    rows = Document.objects.filter(pk=document.pk, status=document.status)
    if document.status == Status.PENDING:
        return rows.filter(requested_at__lt=now - DOCUMENT_STALE_AFTER).update(requested_at=now) == 1
    if document.status == Status.SUPERSEDED or (document.status == Status.FAILED and retry):
        return rows.update(status=Status.PENDING, error="", attempts=0, requested_at=now) == 1
    if document.status == Status.READY and not (document.file and document.file.storage.exists(document.file.name)):
        # Its kept file is gone (media lost, or restored without it): make it again.
        return rows.update(status=Status.PENDING, error="", requested_at=now) == 1
    return False


def document_render(*, document_id: int) -> Document | None:
    """Render a pending document to PDF and keep it (the body of orders.tasks.document_render_task).

    Returns the row now holding the current version (ready), or the row itself when it had nothing
    to do (ready, failed, gone). Raises TRANSIENT_ERRORS for the task to retry (the attempt is
    noted on the row); any other error is the task's to record with `document_render_fail`.
    """
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status != Status.PENDING:
            return document  # rendered already (a repeated task), failed, or superseded
        if document.attempts >= MAX_ATTEMPTS:
            reason = (
                f"Gave up after {document.attempts} attempts, each stopped before the PDF was made "
                "(the document may be too long to render within the time limit)."
            )
            return document_render_fail(document_id=document.pk, reason=reason)
        document.attempts += 1
        document.save(update_fields=["attempts"])
    try:
        source = source_get(kind=document.kind, key=document.key)
        if source is None:
            kind = document.get_kind_display()
            return document_render_fail(document_id=document.pk, reason=f"{kind} {document.key} no longer exists.")
        version = document_version(source)
        pdf = render_pdf(source.template, source.context)
        return _keep(document, source, version, pdf)
    except TRANSIENT_ERRORS as error:
        _attempt_failed(document.pk, error)
        raise


@transaction.atomic
def _keep(document: Document, source: Source, version: str, pdf: bytes) -> Document:
    """Store the PDF as the file of the (kind, key, version) row, unless another attempt did; mark the
    row asked for superseded when that is another version. Both rows locked in id order."""
    now = timezone.now()
    target = document
    if version != document.version:
        target, _ = Document.objects.get_or_create(
            kind=document.kind, key=document.key, version=version, defaults={"title": source.title, "requested_at": now}
        )
    rows = Document.objects.select_for_update().filter(pk__in={document.pk, target.pk}).order_by("pk")
    locked = {row.pk: row for row in rows}
    target = locked[target.pk]
    if target.status != Status.READY:
        _store_file(target, pdf)
        target.status, target.error, target.rendered_at = Status.READY, "", now
        if target.pk != document.pk:
            target.attempts += 1
        target.save(update_fields=["file", "status", "error", "rendered_at", "attempts"])
    asked = locked[document.pk]
    if asked.pk != target.pk and asked.status == Status.PENDING:
        asked.status = Status.SUPERSEDED
        asked.error = (
            f"{source.title} changed after this version was asked for; "
            f"the current version ({version}) was rendered instead."
        )
        asked.save(update_fields=["status", "error"])
    return target


def _store_file(document: Document, pdf: bytes) -> None:
    """One file per version, named after kind, key and version: a file left by an attempt that died
    before it committed is replaced, not kept beside the real one."""
    storage = document.file.storage
    base = f"{document.key.replace('/', '-')}-{document.version}.pdf"
    name = document.file.field.generate_filename(document, base)
    if storage.exists(name):
        storage.delete(name)
    document.file.name = storage.save(name, ContentFile(pdf))


def describe_error(error: BaseException) -> str:
    """A failure in words for staff."""
    if isinstance(error, OperationalError):
        return "The database could not be reached or was busy"
    if isinstance(error, OSError):
        return f"The PDF could not be stored ({error.strerror or error})"
    return f"Unexpected error ({type(error).__name__})"


def _attempt_failed(document_id: int, error: BaseException) -> None:
    """Say on the row that an attempt failed and will be retried."""
    try:
        Document.objects.filter(pk=document_id, status=Status.PENDING).update(
            error=f"{describe_error(error)}; trying again shortly."
        )
    except DatabaseError:
        logger.warning("Could not record a failed attempt of document %s", document_id, exc_info=True)


@transaction.atomic
def document_render_fail(*, document_id: int, reason: str) -> Document | None:
    """The document cannot be rendered (retries exhausted, the time limit, a bug, its entity gone):
    mark it failed with the reason, shown on its page with a Retry button. Only a pending row."""
    document = Document.objects.select_for_update().filter(pk=document_id).first()
    if document is None or document.status != Status.PENDING:
        return document
    document.status, document.error = Status.FAILED, reason[:1000]
    document.save(update_fields=["status", "error"])
    return document
