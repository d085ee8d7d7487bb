"""One settings module, read from environment variables with strict parsers.

With nothing set the app runs on a SQLite file with Celery tasks executed in-process, so a newcomer needs
nothing installed. ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to a real Celery broker.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import fontpkg
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kpi_agreements.core.secret_key import is_weak_secret_key, local_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    # A typo must be an error, not a silent False (STYLE.md: strict parsers).
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# HTTPS=true is the production switch: secure cookies, HSTS, redirect to https.
HTTPS = env_bool("HTTPS", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (HTTPS=true)")
    # The embedded default (make run, the tests): a random key of this checkout, never one from the source.
    try:
        SECRET_KEY = local_secret_key(BASE_DIR / "var" / "secret_key")
    except OSError as exc:
        raise ImproperlyConfigured(f"SECRET_KEY is not set and {exc.filename} cannot be written") from exc
if not DEBUG and is_weak_secret_key(SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is a development placeholder or too weak (under 50 characters): set a random one, "
        "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "treebeard",
    "bootstrap",
    "axes",
    "csp",
    "kpi_agreements.core",
    "kpi_agreements.organisation",
    "kpi_agreements.fiscal",
    "kpi_agreements.agreements",
    "kpi_agreements.documents",
    "kpi_agreements.workflow",
    "kpi_agreements.reporting",
    "kpi_agreements.reminders",
    "kpi_agreements.scorecards",
    # django-ninja in INSTALLED_APPS: its docs page renders from the package's static files, not a CDN.
    "ninja",
    "kpi_agreements.public",
    "kpi_agreements.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kpi_agreements.core.middleware.thai_first",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kpi_agreements.urls"
WSGI_APPLICATION = "kpi_agreements.wsgi.application"

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
                "django.template.context_processors.i18n",
                "kpi_agreements.organisation.context_processors.navigation",
            ],
            "builtins": ["kpi_agreements.core.templatetags.thai"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisation.Person"
AUTHENTICATION_BACKENDS = [
    # First: a locked-out username is refused before any password is checked.
    "kpi_agreements.core.security.ThrottledLogin",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): a username is locked out from one address after repeated failures, so
# guessing is slow and an attacker elsewhere cannot lock its owner out. Unlock: the admin's "Access
# attempts" page or `manage.py axes_reset_username USERNAME`.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "kpi_agreements.core.security.client_ip"
AXES_LOCKOUT_CALLABLE = "kpi_agreements.core.security.locked_out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Thai first; English is the second language.
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Sarabun, the Thai government's official typeface, served from its PyPI package (no CDN).
STATICFILES_DIRS = [BASE_DIR / "static", ("fonts", Path(fontpkg.path("Sarabun")).parent)]
# Uploads (evidence, signed PDFs) are private: no MEDIA_URL and no route serves MEDIA_ROOT, which lies outside
# every static directory; files leave only through access-checked download views (core.uploads.attachment).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Evidence files (policy); an upload above FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) is spooled to a
# temporary file, so a large one is refused without ever being held in memory.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", HTTPS)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the installed packages until collectstatic has run (the embedded default).
WHITENOISE_USE_FINDERS = not env_bool("STATIC_MANIFEST", HTTPS)

# Content Security Policy: scripts and styles only from our own static files (no inline script, no style
# attribute); htmx is one of them (django_htmx's copy), told by a meta tag in base.html not to inject its
# indicator <style> nor to eval. Bootstrap's CSS draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: console by default so a newcomer sees invitations in the terminal.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kpi-agreements@localhost")

# Invitation links expire after this many days (a used link is refused at once).
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)

# The read-only API (kpi_agreements/api): requests a minute per personal token (anonymous public endpoints:
# per client address); one more is answered 429 with Retry-After.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 120)
# Public pages (kpi_agreements/public) are cached this many seconds per publication state.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 600)

# Celery: a Redis broker when REDIS_URL is set, else tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged after it ran and put back if its worker dies; each task is idempotent (ADR 0005).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a long render does not hold other tasks back in its prefetch
# One time zone for Django, Celery and beat's crontabs (deadlines stay dates).
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unreachable broker host must fail a publish in seconds, not hold a request for the TCP timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
# Side effects go through the outbox (workflow/outbox.py): a task published or started this long ago and not
# finished counts as lost and is published again by the sweeper (a PDF may then also be requested again
# from its page); after TASK_MAX_ATTEMPTS failed runs an effect is left for an administrator.
TASK_STUCK_MINUTES = env_int("TASK_STUCK_MINUTES", 10)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 10)
# The beat schedule as data; each entry's period comes from the environment.
CELERY_BEAT_SCHEDULE = {
    "sweep-side-effects": {
        "task": "kpi_agreements.workflow.outbox.sweep",
        "schedule": env_int("SWEEP_EVERY_SECONDS", 60),
    },
    # Rounds whose opening date has come open for entry, and newly signed agreements get their reports.
    "open-due-rounds": {
        "task": "kpi_agreements.reporting.tasks.open_due_rounds",
        "schedule": crontab(hour=env_int("ROUNDS_OPEN_HOUR", 0), minute=15),
    },
    # Reminders (issue 11): working days at 08:30 Bangkok; the task itself skips the year's holidays.
    "send-reminders": {
        "task": "kpi_agreements.reminders.tasks.send_reminders",
        "schedule": crontab(
            hour=env_int("REMINDERS_HOUR", 8), minute=env_int("REMINDERS_MINUTE", 30), day_of_week="mon-fri"
        ),
    },
}
# With no worker (the embedded default) a task runs in a thread after the response, so the last signature
# does not wait for its PDF. Tests (pytest imported) keep running tasks inline to see their result.
TASKS_IN_THREAD = env_bool("TASKS_IN_THREAD", not REDIS_URL and "pytest" not in sys.modules)

if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
