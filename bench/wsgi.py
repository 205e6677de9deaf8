"""The WSGI app the bench's gunicorn serves (bench/throughput.py): the app with production's
DEBUG off, plain HTTP on localhost, throttle rates no load client reaches (the throttle still
runs, as in production) and the bench URLconf (one constant view more)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ["API_THROTTLE_RATES"] = "tickets=1000000/min,visits=1000000/min"
# Its throttle counters apart from the in-process measurements' (same users, same Redis).
os.environ["CACHE_KEY_PREFIX"] = "seed-bench-gunicorn"

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.urls"
