"""Background jobs: create one, report progress from the worker, finish it.

Progress is written with short autocommitted updates outside the job's own data transaction, so the
page polling the job sees it move while the work runs.
"""

from functools import partial

from django.db import transaction
from django.utils import timezone

from backoffice.models import BackgroundJob

Status = BackgroundJob.Status


def job_create(*, kind: str, title: str, actor=None, params: dict | None = None, input_file=None, task=None):
    """Create a queued job and, when `task` is given, enqueue `task(job_id)` once the caller commits."""
    job = BackgroundJob.objects.create(
        kind=kind,
        title=title,
        params=params or {},
        created_by=actor if getattr(actor, "pk", None) else None,
        input_file=input_file or "",
    )
    if task is not None:
        transaction.on_commit(partial(task.delay, job.pk))
    return job


def job_start(*, job_id: int, total: int = 0, message: str = "") -> bool:
    """Mark the job running; False when it has already finished (a redelivered task must not redo it)."""
    updated = BackgroundJob.objects.filter(pk=job_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
        status=Status.RUNNING, total=total, done=0, message=message, started_at=timezone.now()
    )
    return bool(updated)


def job_progress(*, job_id: int, done: int, total: int | None = None, message: str | None = None) -> None:
    fields = {"done": done}
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message
    BackgroundJob.objects.filter(pk=job_id).update(**fields)


def job_finish(
    *, job_id: int, succeeded: bool, message: str = "", result: dict | None = None, errors: list | None = None
) -> None:
    job = BackgroundJob.objects.get(pk=job_id)
    job.status = Status.SUCCEEDED if succeeded else Status.FAILED
    job.message = message[:300]
    job.result = result or {}
    job.errors = errors or []
    job.finished_at = timezone.now()
    if succeeded:
        job.done = job.total
    job.save(update_fields=["status", "message", "result", "errors", "finished_at", "done"])
