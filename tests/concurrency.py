"""Concurrency in tests: threads released at the same moment, each with its own database connection
(and so its own transaction), as several clerks, workers or API clients would be."""

import threading

from django.db import connection


def run_together(work, count: int = 20):
    """Start `count` threads that call work(i) at the same moment; return their results or errors."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
