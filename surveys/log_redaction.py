"""R23: the survey link's token must not reach a log a member of staff reads.

The customer's page lives at /survey/s/<token>/, so the token is in every request line, in the
Referer of the page's own assets, and in Django's warnings about a 4xx answer ("Bad Request:
/survey/s/…/" when the customer's form has an error, while the link is still live). Two filters
mask it: a logging filter for Django's loggers and the console handler (settings.LOGGING), and a
gunicorn logger class for the access log (Dockerfile, docker-compose.yml).
"""

import logging
import re

from gunicorn.glogging import Logger

MASK = "••••••"
TOKEN_IN_PATH = re.compile(r"(/survey/s/)[^/?#\s\"']+")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(rf"\g<1>{MASK}", text)


class RedactSurveyTokens(logging.Filter):
    """Rewrites a record's message with the token masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/survey/s/" in message:
            record.msg, record.args = redact(message), None
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with the survey tokens masked in the access log's atoms."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
