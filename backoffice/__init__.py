# Load the Celery app with Django so that @shared_task uses it and on_commit enqueues reach the broker.
from .celery import app as celery_app

__all__ = ["celery_app"]
