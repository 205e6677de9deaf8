"""Settings of the gunicorn the bench starts (bench/throughput.py): the app's, with production's
DEBUG off, plain HTTP on localhost, the bench URLconf (one constant view more) and throttle
rates no load client reaches (the throttle still runs, as in production)."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from config.settings import *  # noqa: E402, F403
from config.settings import REST_FRAMEWORK  # noqa: E402

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(
        REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min"
    ),
}
