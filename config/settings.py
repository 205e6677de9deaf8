"""Settings for Seed dispatch, read from the environment.

Development defaults are safe and need no server: SQLite under var/ and a filesystem Celery
broker. Production sets DEBUG=false and must provide SECRET_KEY (it refuses to start without).
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "django-insecure-development-only-never-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The address customers' links point at (the survey link in the SMS, its QR code): the public
# address in production. Empty: the address a request came to (dispatch.sites).
SITE_URL = os.environ.get("SITE_URL", "").strip()
# Issue 17: the customer's appointment link (/c/<token>): pages opened per address, and actions
# per link, in ten minutes (visits.services.customer, counted in the cache).
CUSTOMER_LINK_PAGE_LIMIT = int(os.environ.get("CUSTOMER_LINK_PAGE_LIMIT", "60"))
CUSTOMER_LINK_ACTION_LIMIT = int(os.environ.get("CUSTOMER_LINK_ACTION_LIMIT", "10"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "axes",
    "csp",
    "dispatch",
    "visits",
    "checklists",
    "surveys",
    "planning",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses the pages (not static files, which WhiteNoise answered above); see
    # dispatch.middleware.GZipMiddleware for why that is safe (BREACH) and what is exempt.
    "dispatch.middleware.GZipMiddleware",
    # Pages serve GET and POST only; anything else is 405 before sessions or login.
    "dispatch.middleware.page_methods",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

# Login rate limiting (django-axes): 5 failures for a username from one address lock it for
# 15 minutes. Axes' backend must come first so it sees every attempt.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "dispatch.roles.RoleModelBackend",  # ModelBackend, with the user's roles in one query
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0")) or None

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dispatch.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL (PostgreSQL in production and tests), else embedded SQLite.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is shared by the web server and the Celery worker in `make run`: wait for locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Take the write lock when a transaction begins, so the sweep's and the delivery's
    # read-then-claim transactions queue behind each other instead of failing as "locked".
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # The dashboard's covering indexes (INCLUDE columns) are a PostgreSQL speed-up; SQLite
    # builds them on their key columns alone, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dispatch:home"
LOGOUT_REDIRECT_URL = "login"
# Where / sends a person (dispatch.views.home): the first of their roles in this list, by URL
# name; None is the desk's own home page, as for anyone without a listed role. Named here, in
# the layer above every app, so dispatch names no page of the apps above it.
HOME_PAGES = [
    ("supervisor", "supervision:supervisor"),
    ("dispatcher", None),
    ("engineer", "visits:today"),
]

# Issue 15: how often the supervisor's dashboard reloads its data regions (a region holding a
# form someone is typing in is skipped); a test shortens it to see a refresh happen.
DASHBOARD_REFRESH_SECONDS = int(os.environ.get("DASHBOARD_REFRESH_SECONDS", "60"))

# Language and time: Simplified Chinese first, English second; the centre works in Beijing time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# Security: strict in production, relaxed only by DEBUG for local development.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# A load balancer probes the health endpoints over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): scripts and style sheets from this site only, no inline
# script without the page's nonce ({{ request.csp_nonce }}), no eval (htmx runs with
# allowEval off, see templates/base.html). Style attributes stay allowed (style-src-attr): the
# pages use a few for layout, and they can't run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The cache holds the API's throttle counters, so it must be one store for every process: Redis
# when there is one (CACHE_URL, else REDIS_URL), else files under var/ for `make run`'s web
# server and worker (Django's default, local memory, would count per process).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_URL = os.environ.get("CACHE_URL") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "seed"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }


def throttle_rates(defaults: dict[str, str]) -> dict[str, str]:
    """The API's rates per scope; API_THROTTLE_RATES="visits=300/min,kit=60/min" overrides."""
    rates = dict(defaults)
    for item in env_list("API_THROTTLE_RATES", ""):
        scope, _, rate = item.partition("=")
        rates[scope.strip()] = rate.strip()
    return rates


REST_FRAMEWORK = {
    # Token first: its `authenticate_header` makes a missing or bad credential a 401 with
    # WWW-Authenticate (with the session first, DRF answers 403). The browser's session and its
    # CSRF check still apply to a request that carries no token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in, with a bound on its nesting (dispatch.json_input: too deep is a 400, not a 500).
    # Form encodings cannot say null or an empty list, so the schema could not tell the truth
    # about them. The visit note takes its photo as multipart (visits.api).
    "DEFAULT_PARSER_CLASSES": ["dispatch.json_input.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Each API view names its scope (throttle_scope); a signed-in user gets so many requests per
    # scope and period, then 429 with Retry-After (dispatch.throttles).
    "DEFAULT_THROTTLE_CLASSES": ["dispatch.throttles.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": throttle_rates(
        {
            "tickets": "120/min",
            "visits": "120/min",
            "kit": "120/min",
            "surveys": "60/min",
            # Each link is an SMS to the customer.
            "survey-links": "10/min",
            "dashboard": "60/min",
            "schema": "30/min",
            # The day optimizer: each plan is seconds of a core.
            "planning": "20/min",
        }
    ),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "dispatch.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dispatch.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Seed dispatch API",
    "DESCRIPTION": "Complaint tickets, visits, kit checks and surveys of the network centre.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own, so a field that refuses blanks says
    # minLength: 1 where it is read, and read-only fields leave the request's shape.
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and its docs page are for the staff who use the API (every role: engineers'
    # phones call it too); anonymous visitors get 401.
    "SERVE_PERMISSIONS": ["dispatch.permissions.IsStaffMember"],
    # Swagger UI served from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Choice sets that share a field name across apps get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "dispatch.models.TicketStatus",
        "ComplaintKindEnum": "dispatch.models.ComplaintKind",
        "DeadlineStateEnum": "dispatch.models.DeadlineState",
        "RequestStateEnum": "visits.models.RequestState",
        "DeadlineKindEnum": "dispatch.models.DeadlineKind",
        "VisitStatusEnum": "visits.models.VisitStatus",
        "ViolationKindEnum": "visits.models.ViolationKind",
        "ContactChannelEnum": "dispatch.models.ContactChannel",
        "SurveyLinkChannelEnum": "surveys.models.LinkChannel",
        "QuestionKindEnum": "surveys.models.QuestionKind",
    },
}

# Celery: Redis when REDIS_URL is set (read above, with the cache), else a filesystem broker
# that needs no server.
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # An unreachable broker fails fast instead of holding a request (dispatch.delivery).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3}
else:
    _broker_dir = VAR_DIR / "broker"
    # The host is unused by this transport; naming one spares kombu's "no hostname" warning.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast (pidbox) exchanges; kombu's default is ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A deployment (or a test) may give its workers a queue of their own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")

# Deadlines (dispatch.sweep): how often beat sweeps, and how many deadlines one transaction takes.
DEADLINE_SWEEP = {
    "EVERY_SECONDS": float(os.environ.get("SWEEP_EVERY_SECONDS", "60")),
    "BATCH_SIZE": int(os.environ.get("SWEEP_BATCH_SIZE", "200")),
}
# The outbox (dispatch.delivery, dispatch.backends).
# SMS_BACKEND picks the backend: "outbox" (store only), "console", "file", "locmem" (tests),
# "aliyun", "tencent" (SMS below; docs/operations.md#sms-providers), or a backend class's path.
# NOTIFICATION_BACKEND, its old name, is read when SMS_BACKEND is not set (deprecated).
SMS_BACKEND = os.environ.get("SMS_BACKEND") or os.environ.get("NOTIFICATION_BACKEND") or "outbox"
NOTIFICATIONS = {
    "BACKEND": SMS_BACKEND,
    "EVERY_SECONDS": float(os.environ.get("DELIVER_EVERY_SECONDS", "60")),
    "BATCH_SIZE": int(os.environ.get("DELIVER_BATCH_SIZE", "100")),
    # Customer messages that can wait (reminders, survey links) are held from START to END,
    # local time; late notices, reschedules and staff alerts go at once.
    "QUIET_HOURS_START": os.environ.get("QUIET_HOURS_START", "21:00"),
    "QUIET_HOURS_END": os.environ.get("QUIET_HOURS_END", "08:00"),
    # A failed send is retried after 1, 2, 4, 8 … minutes (capped), then marked failed.
    "MAX_ATTEMPTS": int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "5")),
    "RETRY_BASE_SECONDS": int(os.environ.get("NOTIFICATION_RETRY_SECONDS", "60")),
    "RETRY_MAX_SECONDS": int(os.environ.get("NOTIFICATION_RETRY_MAX_SECONDS", "3600")),
    # A row a worker took but never finished (the worker died) is taken again after this.
    "CLAIM_TIMEOUT_SECONDS": int(os.environ.get("NOTIFICATION_CLAIM_TIMEOUT_SECONDS", "300")),
    # SMS_BACKEND=file (development, browser tests): each SMS, as the customer's phone gets it.
    "FILE_DIR": os.environ.get("SMS_FILE_DIR", str(BASE_DIR / "var" / "sms")),
}


def _json_env(name: str) -> dict:
    raw = os.environ.get(name, "").strip()
    try:
        value = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object.")
    return value


# SMS through a provider (SMS_BACKEND=aliyun or tencent; dispatch.sms_providers,
# docs/operations.md#sms-providers). The credentials are read from the environment by the
# backend and are not settings: ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, or
# TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY and TENCENT_SMS_SDK_APP_ID.
SMS = {
    # The approved signature (签名), without 【】.
    "SIGN_NAME": os.environ.get("SMS_SIGN_NAME", ""),
    # Our template → the provider's template code, JSON: {"visit_booked": "SMS_123456", …}.
    # `manage.py sms_templates aliyun|tencent` prints each template's text to register.
    "TEMPLATE_CODES": _json_env("SMS_TEMPLATE_CODES"),
    # Longer variables the provider granted on application, JSON:
    # {"aliyun": {"link": 80}} (dispatch.sms.PROVIDER_LIMITS has the kinds and defaults).
    "VARIABLE_LIMITS": _json_env("SMS_VARIABLE_LIMITS"),
    # The provider's API host; empty for its public endpoint (HTTPS). Tests point it at a fake.
    "ENDPOINT": os.environ.get("SMS_ENDPOINT", ""),
    "TENCENT_REGION": os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou"),
    "TIMEOUT_SECONDS": float(os.environ.get("SMS_TIMEOUT_SECONDS", "10")),
    # Tencent lists a message only with its receipt: one whose outcome was lost and that is not
    # listed after this long was never sent (dispatch.sms_providers).
    "LOOKUP_GRACE_SECONDS": float(os.environ.get("SMS_LOOKUP_GRACE_SECONDS", "300")),
    # Receipts are pulled this often, for messages sent within RECEIPT_HOURS.
    "EVERY_SECONDS": float(os.environ.get("SMS_RECEIPTS_EVERY_SECONDS", "60")),
    "RECEIPT_HOURS": float(os.environ.get("SMS_RECEIPT_HOURS", "48")),
}

# Staff alerts in a group chat (dispatch.robots, docs/operations.md#group-robot): "wecom",
# "dingtalk" or "" (in-app only). The webhook URL and DingTalk's signing secret are read from the
# environment by the robot (STAFF_ROBOT_WEBHOOK, STAFF_ROBOT_SECRET), never settings.
STAFF_ROBOT = {
    "KIND": os.environ.get("STAFF_ROBOT", ""),
    # One digest per run: at most one post a minute (DingTalk allows 20).
    "EVERY_SECONDS": float(os.environ.get("STAFF_ROBOT_EVERY_SECONDS", "60")),
    "MAX_LINES": int(os.environ.get("STAFF_ROBOT_MAX_LINES", "15")),
    "TIMEOUT_SECONDS": float(os.environ.get("STAFF_ROBOT_TIMEOUT_SECONDS", "5")),
}
if STAFF_ROBOT["KIND"] not in ("", "wecom", "dingtalk"):
    raise ImproperlyConfigured("STAFF_ROBOT must be wecom, dingtalk or empty.")

# R23: how many survey links one visit may be given (each re-issue revokes the last and sends
# the customer another SMS); beyond it the service refuses (surveys.rules).
SURVEY_LINK_MAX_ISSUES = int(os.environ.get("SURVEY_LINK_MAX_ISSUES", "5"))

# Rule values where the seeds disagree or the centre may choose (see dispatch/rules.py).
SEED_RULES = {
    "ACK_SIMPLE_HOURS": int(os.environ.get("ACK_SIMPLE_HOURS", "2")),  # R6
    "ACK_COMPLEX_HOURS": int(os.environ.get("ACK_COMPLEX_HOURS", "24")),  # R6
    # R6: a new promised time further ahead than this needs a supervisor.
    "ACK_MAX_PROMISE_HOURS": int(os.environ.get("ACK_MAX_PROMISE_HOURS", "24")),
    "NO_ANSWER_WAIT_MINUTES": int(os.environ.get("NO_ANSWER_WAIT_MINUTES", "10")),  # R13
    "VISIT_NOTE_DEADLINE_MINUTES": int(os.environ.get("VISIT_NOTE_DEADLINE_MINUTES", "30")),
    # R13: how far the visit note's arrival may be from the recorded arrival.
    "NOTE_TIME_TOLERANCE_MINUTES": int(os.environ.get("NOTE_TIME_TOLERANCE_MINUTES", "5")),
    # R19: a self-check older than this at arrival must be redone (the seed says 5 minutes).
    "SELF_CHECK_WINDOW_MINUTES": int(os.environ.get("SELF_CHECK_WINDOW_MINUTES", "30")),
    "RECONFIRM_LEAD_MINUTES": int(os.environ.get("RECONFIRM_LEAD_MINUTES", "60")),  # R8
    # R16: how long the customer's code for a handover mid-visit is valid.
    "HANDOVER_CODE_MINUTES": int(os.environ.get("HANDOVER_CODE_MINUTES", "10")),
    # R18/R24: the centre allows the FAQ handbook in place of the service commitment card.
    "FAQ_HANDBOOK_ALLOWED": env_bool("FAQ_HANDBOOK_ALLOWED", True),
    "DUE_SOON_MINUTES": int(os.environ.get("DUE_SOON_MINUTES", "30")),
}

# Suggesting an engineer and a slot, and optimizing a day (planning; docs/operations.md).
PLANNING = {
    # "embedded" (the grid table, else straight line × road factor at the speed), "amap", or the
    # dotted path of a provider class (planning.travel).
    "TRAVEL_PROVIDER": os.environ.get("TRAVEL_PROVIDER", "embedded"),
    "SPEED_KMH": float(os.environ.get("TRAVEL_SPEED_KMH", "25")),
    "ROAD_FACTOR": float(os.environ.get("TRAVEL_ROAD_FACTOR", "1.4")),
    # A place nobody located: allow this long to get there or away.
    "UNKNOWN_TRAVEL_MINUTES": int(os.environ.get("TRAVEL_UNKNOWN_MINUTES", "45")),
    # Within one grid, when neither end has coordinates and the table has no entry.
    "SAME_GRID_MINUTES": int(os.environ.get("TRAVEL_SAME_GRID_MINUTES", "15")),
    "AMAP_URL": os.environ.get("AMAP_DISTANCE_URL", "https://restapi.amap.com/v3/distance"),
    "AMAP_KEY": os.environ.get("AMAP_KEY", ""),
    "AMAP_TIMEOUT_SECONDS": float(os.environ.get("AMAP_TIMEOUT", "3")),
    # 0 straight line, 1 driving (AMap's "type").
    "AMAP_TYPE": int(os.environ.get("AMAP_TYPE", "1")),
    # Engineers' working hours, local time: suggestions stay inside them.
    "WORK_START": os.environ.get("WORK_START", "08:00"),
    "WORK_END": os.environ.get("WORK_END", "20:00"),
    # How suggestions are ranked: earliest, least_travel, even_workload, grid_match, balanced.
    "POLICY": os.environ.get("SUGGEST_POLICY", "balanced"),
    "HORIZON_DAYS": int(os.environ.get("SUGGEST_DAYS", "3")),
    "SLOT_STEP_MINUTES": int(os.environ.get("SUGGEST_STEP_MINUTES", "30")),
    # Slack kept between one visit's end (plus travel) and the next one's arrival, on top of
    # R9's five minutes early (suggestions and the customer's own move, issue 17).
    "BUFFER_MINUTES": int(os.environ.get("VISIT_BUFFER_MINUTES", "0")),
    # Issue 17: how many days ahead, and how many times a day, the customer's link offers.
    "CUSTOMER_DAYS": int(os.environ.get("CUSTOMER_SLOT_DAYS", "5")),
    "CUSTOMER_SLOTS_PER_DAY": int(os.environ.get("CUSTOMER_SLOTS_PER_DAY", "4")),
    "SUGGESTIONS": int(os.environ.get("SUGGEST_COUNT", "5")),
    # The day optimizer's time limit (OR-Tools), seconds.
    "OPTIMIZE_SECONDS": float(os.environ.get("OPTIMIZE_SECONDS", "5")),
}

# Logs go to standard output. LOG_FORMAT=json writes one JSON object a line (time, level,
# logger, message and any `extra=`), for a log shipper; the default is plain text for people.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    # R23: a survey link's token never reaches a log (surveys.log_redaction). On the loggers
    # that quote request paths, and on the handler for every other record.
    "filters": {"survey_tokens": {"()": "surveys.log_redaction.RedactSurveyTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["survey_tokens"],
        }
    },
    "loggers": {
        **{
            name: {"filters": ["survey_tokens"]}
            for name in ("django.request", "django.server", "django.security.csrf")
        },
        # The SMS SDKs log requests and answers (the customer's parameters, a survey code in
        # clear) at DEBUG: never below WARNING, whatever LOG_LEVEL says (R23).
        "tencentcloud_sdk_common": {"level": "WARNING"},
        "alibabacloud": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Error reporting, only where SENTRY_DSN is set: unhandled errors of the web app and of Celery
# tasks, with no personal data (send_default_pii off: no user, no request body or cookies).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# Var dir for SQLite, the broker and media in development.
VAR_DIR.mkdir(parents=True, exist_ok=True)

SESSION_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_TIMEOUT.total_seconds())
