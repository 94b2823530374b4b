"""Celery tasks of the inventory app: thin wrappers that run inventory services by id."""

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, close_old_connections

from inventory.imports import import_job_fail, product_import_run, stock_count_import_run
from inventory.services import low_stock_digest_send

# A 20 MB file (the largest accepted) of a few hundred thousand rows is checked and written well
# within this; the hard limit stays under the broker's visibility timeout (settings, one hour) so that
# a late-acked import is not handed to a second worker while the first still runs it.
IMPORT_SOFT_TIME_LIMIT = 20 * 60
IMPORT_TIME_LIMIT = 22 * 60


class ImportJobTask(Task):
    """Writes a final failure onto the job, so that the page shows it rather than a job running forever.

    Refused files are reported by the import itself; this catches what is left: the time limit, a bug,
    a database that stayed away through every retry.
    """

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = args[0] if args else kwargs["job_id"]
        if isinstance(exc, SoftTimeLimitExceeded):
            message = (
                f"The import was stopped after {IMPORT_SOFT_TIME_LIMIT // 60} minutes and nothing was "
                "written; split the file into smaller ones."
            )
        else:
            message = (
                f"The import stopped on an unexpected error ({type(exc).__name__}) and nothing was "
                "written; the file is kept. Upload it again, and tell an administrator if this repeats."
            )
        # The failure may have left this worker's connection broken; open a fresh one to record it.
        close_old_connections()
        import_job_fail(job_id=job_id, message=message)


_IMPORT_OPTIONS = {
    "base": ImportJobTask,
    "acks_late": True,
    "soft_time_limit": IMPORT_SOFT_TIME_LIMIT,
    "time_limit": IMPORT_TIME_LIMIT,
    # A lost connection or a deadlock: the import wrote nothing, so it can simply run again.
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**_IMPORT_OPTIONS)
def product_import_task(job_id: int) -> None:
    product_import_run(job_id=job_id)


@shared_task(**_IMPORT_OPTIONS)
def stock_count_import_task(job_id: int) -> None:
    stock_count_import_run(job_id=job_id)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def low_stock_digest_task() -> int:
    """Daily, from Celery beat (backoffice/celery.py): the low-stock e-mail to buyers and managers."""
    return low_stock_digest_send()
