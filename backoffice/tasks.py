from celery import shared_task

from backoffice.health import worker_heartbeat_prune


@shared_task(soft_time_limit=60, time_limit=90)
def worker_heartbeat_prune_task() -> int:
    return worker_heartbeat_prune()
