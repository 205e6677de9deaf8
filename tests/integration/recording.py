"""A delivery backend for the integration tests: appends one JSON line per message handed to
the 'gateway' to RECORDING_FILE, so the test counts what really left the worker.

RECORDING_DELAY (seconds) makes each send slow, so a test can kill a worker in the middle."""

import json
import os
import time


class FileRecordingBackend:
    def send(self, notification) -> str:
        delay = float(os.environ.get("RECORDING_DELAY", "0"))
        if delay:
            time.sleep(delay)
        line = {"id": notification.pk, "key": notification.key, "pid": os.getpid()}
        # One short write in append mode: lines from several workers never interleave.
        with open(os.environ["RECORDING_FILE"], "a") as record:
            record.write(json.dumps(line) + "\n")
        return f"rec-{notification.pk}"
