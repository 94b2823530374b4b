"""Django settings for Backoffice.

Every setting that differs between machines comes from an environment variable, read here and only
here (a `.env` file in the project folder is read too; `.env.example` lists every variable).
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Independent of DEBUG, so that a DEBUG=0 server can still be reached over plain HTTP on localhost.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-do-not-use-in-production-0123456789")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50 or more characters when DEBUG=0")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "backoffice",
    "inventory",
    "crm",
    "pricing",
    "orders",
    "purchasing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the auth backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

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
                "backoffice.context_processors.navigation",
            ],
            # {% partialdef %} everywhere without {% load %}, as it is built into Django 6.
            "builtins": ["template_partials.templatetags.partials", "backoffice.templatetags.backoffice"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# PostgreSQL only; the run command starts an embedded server when DATABASE_URL is not set.


def _database(url: str) -> dict:
    config = env.db_url_config(url)
    # A Unix socket given as ?host=/path belongs in HOST, where Django (and its test runner) look.
    socket_host = config.get("OPTIONS", {}).pop("host", None)
    if socket_host:
        config["HOST"] = socket_host
    if env.bool("DATABASE_POOL", default=True):
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": 10,
        }
    else:
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database(env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/backoffice"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # Longer than the longest hard time limit, so a late-acked task is not redelivered while it runs;
    # a dead worker's unacked tasks go back to the queue once they are this old
    # (CELERY_VISIBILITY_TIMEOUT seconds), found by sweeps every interval x throttle seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": 10,
        "unacked_mutex_expire": 30,
    }
else:
    # No Redis: a broker that needs no server, good for one machine only (the embedded default).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Exchange tables; kombu's default is ./control, which would litter the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }

CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="backoffice")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
# Outcomes of tasks are written to the domain rows they concern; nothing reads Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds between worker heartbeats, and the age after which /healthz calls the workers down.
WORKER_HEARTBEAT_INTERVAL = env.int("WORKER_HEARTBEAT_INTERVAL", default=15)
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=60)

# --- Authentication ---------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after AXES_FAILURE_LIMIT failures for one username from one address, that pair is
# locked out for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# --- Security ---------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SECURE_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Everything is served from our own origin: htmx is vendored, and no inline scripts or styles exist.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation, static and media files ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The shop's home country (ISO 3166-1 alpha-2): phone numbers typed without a country code are read as
# numbers of this country, and new addresses start in it (crm).
CRM_DEFAULT_PHONE_REGION = env.str("CRM_DEFAULT_PHONE_REGION", default="GB").strip().upper()
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Without a build step in development (DEBUG), WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Orders API -------------------------------------------------------------------------------------
# The shipping charge of each method an API order may name ("standard=4.95,express=9.95"), until carrier
# rate shopping arrives with fulfilment; an order naming another method is refused with a 400.


def _shipping_methods(raw: dict) -> dict:
    methods = {}
    for name, price in raw.items():
        try:
            amount = Decimal(str(price).strip())
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ImproperlyConfigured(f"SHIPPING_METHODS: the price of {name!r} must be an amount such as 4.95")
        methods[name.strip().lower()] = amount
    return methods


SHIPPING_METHODS = _shipping_methods(env.dict("SHIPPING_METHODS", default={"standard": "4.95", "express": "9.95"}))
# Days an `Idempotency-Key`'s first answer is kept for replays; older ones are purged daily by beat,
# after which the same key counts as a new request.
IDEMPOTENCY_KEY_RETENTION_DAYS = env.int("IDEMPOTENCY_KEY_RETENTION_DAYS", default=7)
if IDEMPOTENCY_KEY_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("IDEMPOTENCY_KEY_RETENTION_DAYS must be 1 or more")
# Days the log keeps ShipStation notices that changed nothing (repeats, refusals); applied ones stay.
SHIPSTATION_NOTICE_RETENTION_DAYS = env.int("SHIPSTATION_NOTICE_RETENTION_DAYS", default=90)
if SHIPSTATION_NOTICE_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("SHIPSTATION_NOTICE_RETENTION_DAYS must be 1 or more")

# --- Documents: invoices, credit notes, packing slips -----------------------------------------------
# The seller as invoices and credit notes print it. An invoice keeps the details it was issued with, so
# changing these changes only later invoices. Multi-line values separate their lines with "\n".
COMPANY_NAME = env.str("COMPANY_NAME", default="Backoffice Demo Ltd")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", multiline=True, default="1 Example Street\nLeeds LS1 1AA\nUnited Kingdom")
COMPANY_VAT_NUMBER = env.str("COMPANY_VAT_NUMBER", default="")
# The company's registration (e.g. "Registered in England and Wales no. 01234567").
COMPANY_REGISTRATION = env.str("COMPANY_REGISTRATION", default="")
COMPANY_EMAIL = env.str("COMPANY_EMAIL", default="")
COMPANY_PHONE = env.str("COMPANY_PHONE", default="")
# Where customers pay invoices: bank, account name, sort code / IBAN, BIC.
COMPANY_BANK_DETAILS = env.str("COMPANY_BANK_DETAILS", multiline=True, default="")
# Printed at the foot of every invoice and credit note (legal notes, late-payment terms).
INVOICE_FOOTER = env.str("INVOICE_FOOTER", multiline=True, default="")
# Printed on every packing slip: how the customer sends goods back.
RETURN_INSTRUCTIONS = env.str(
    "RETURN_INSTRUCTIONS",
    multiline=True,
    default="Not what you wanted? Contact us within 30 days of delivery, quoting your order number, and we "
    "will send you a return number. Pack the items in their original packaging with this slip and write "
    "the return number on the parcel.",
)

# --- Fulfilment -------------------------------------------------------------------------------------
# Days no parcel is handed over or delivered besides weekends (ISO dates, comma-separated): delivery
# dates of rate quotes skip them (orders.shipping.calendar).
SHIPPING_HOLIDAYS = frozenset(env.list("SHIPPING_HOLIDAYS", cast=date.fromisoformat, default=[]))
# More parcels than this in one label request make a background job with a progress bar.
LABELS_JOB_THRESHOLD = env.int("LABELS_JOB_THRESHOLD", default=10)
# The credentials ShipStation's Custom Store sends to /integrations/shipstation/ (orders.shipstation).
# Set, they take the place of the account a manager sets in the admin; empty, the admin's is used.
SHIPSTATION_USERNAME = env.str("SHIPSTATION_USERNAME", default="")
SHIPSTATION_PASSWORD = env.str("SHIPSTATION_PASSWORD", default="")
if bool(SHIPSTATION_USERNAME) != bool(SHIPSTATION_PASSWORD):
    raise ImproperlyConfigured("Set both SHIPSTATION_USERNAME and SHIPSTATION_PASSWORD, or neither")

# --- E-mail and logging -----------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="backoffice@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO; its warnings (a missing font, bad CSS) still show.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
