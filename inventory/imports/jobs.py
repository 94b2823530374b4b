"""Running an import as a background job: read the kept file, check it, write it, say how it went."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from backoffice.jobs import job_finish, job_progress, job_start
from backoffice.models import BackgroundJob
from inventory.exceptions import ImportRejected, RowError
from inventory.imports.csvfile import MAX_FILE_BYTES, refuse


@dataclass(frozen=True)
class ImportOutcome:
    """What a written import did: one line for people and the figures behind it (BackgroundJob.result)."""

    message: str
    result: dict


def import_job_run(*, job_id: int, check: Callable, write: Callable) -> None:
    """Import the file of a BackgroundJob: `check(data=, progress=)` returns a plan or raises
    ImportRejected; `write(plan=, job=)` writes it and returns an ImportOutcome.

    A job that has finished already is left alone (a task delivered twice). A refused file finishes
    the job as failed with the report; nothing is written then.
    """
    if not job_start(job_id=job_id, message="Reading the file"):
        return
    job = BackgroundJob.objects.select_related("created_by").get(pk=job_id)
    try:
        # Progress is saved outside the write transaction, so the page polling the job sees it move.
        plan = check(data=_read(job), progress=partial(_checking, job_id))
        rows = len(plan.rows)
        job_progress(job_id=job_id, done=rows, total=rows, message=f"All {rows:,} rows are valid; writing them")
        with transaction.atomic():
            outcome = write(plan=plan, job=job)
            # Finished in the transaction that writes the data: a worker that dies in between leaves
            # neither, and the redelivered task then runs the whole import again.
            job_finish(job_id=job_id, succeeded=True, message=outcome.message, result=outcome.result)
    except ImportRejected as rejected:
        count = rejected.error_count
        job_finish(
            job_id=job_id,
            succeeded=False,
            message=f"Nothing was imported: {count:,} problem{'s' if count != 1 else ''} found.",
            errors=[error.as_dict() for error in rejected.errors],
            result={"error_count": count},
        )


def import_job_fail(*, job_id: int, message: str) -> None:
    """Record that an import broke off (a time limit, a bug) unless its job has finished, so that the
    page says so instead of showing a job that runs forever."""
    unfinished = [BackgroundJob.Status.QUEUED, BackgroundJob.Status.RUNNING]
    if BackgroundJob.objects.filter(pk=job_id, status__in=unfinished).exists():
        job_finish(job_id=job_id, succeeded=False, message=message, errors=[RowError(None, "", message).as_dict()])


def _checking(job_id: int, done: int, total: int) -> None:
    job_progress(job_id=job_id, done=done, total=total, message="Checking the rows")


def _read(job: BackgroundJob) -> bytes:
    if not job.input_file:
        raise refuse("The job has no file to import.")
    with job.input_file.open("rb") as handle:
        # One byte past the limit is enough to tell that the file is too large.
        return handle.read(MAX_FILE_BYTES + 1)
