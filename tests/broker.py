"""Point this process's Celery app at another broker or queue for a test, then put it back."""

from contextlib import contextmanager

from config.celery import app as celery_app


def _drop_pools():
    # What Celery itself does after a fork (Celery._after_fork). The pools themselves live on in
    # kombu's registries, keyed by broker URL, and are reused when the URL comes back: closing
    # them here would break the next test that publishes to the same broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def publishing_to(broker_url: str, queue: str | None = None):
    conf = celery_app.conf
    previous = (conf.broker_url, conf.task_default_queue)
    _drop_pools()
    conf.broker_url = broker_url
    conf.task_default_queue = queue or conf.task_default_queue
    try:
        yield celery_app
    finally:
        _drop_pools()
        conf.broker_url, conf.task_default_queue = previous
