"""The alerts and outbox pages read the outbox the dispatch tests fill: the same fixtures."""

from tests.dispatch.conftest import make_visit, recording_backend  # noqa: F401
