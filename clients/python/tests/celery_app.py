"""The Celery app the Celery test's workers run (`celery -A celery_app worker`): its broker and
the Vigil nodes come from the environment the test sets."""
import os
import time

from celery import Celery

import vigil_client.celery

app = Celery("vigil_test", broker=os.environ["VIGIL_TEST_BROKER"])
app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)
vigil_client.celery.install(app, api=os.environ.get("API_BASE_URL"), kind="celery", interval=0.3)


@app.task(bind=True, max_retries=3)
def work(self, seconds, fail=False, retry_once=False):
    if retry_once and self.request.retries == 0:
        raise self.retry(countdown=0.2, exc=RuntimeError("transient"))
    time.sleep(seconds)
    if fail:
        raise ValueError(f"task failed after {seconds} s")
    return {"slept": seconds}
