"""The alerts and outbox pages read the outbox the dispatch tests fill: the same fixture."""

from tests.dispatch.conftest import recording_backend  # noqa: F401
