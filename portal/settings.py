"""Settings, read from the environment.

Every setting a deployment changes comes from an environment variable; the defaults are the
embedded demo (SQLite, DEBUG off unless ``DEBUG=1``). See the README's "Configuration" table.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("PORTAL_INSECURE_DEFAULTS"):
        raise ImproperlyConfigured("SECRET_KEY must be set (or DEBUG=1 for a local demo).")
    SECRET_KEY = "insecure-demo-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "portal",
    "network",
    "vpn",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.tenancy.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "csp.context_processors.nonce",
                "portal.context_processors.console",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo's embedded database is shared by the web server, a worker and the monitor.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "network:vpc-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security. Production runs behind TLS; the demo on plain http://127.0.0.1:8000.
SECURE_TLS = env_bool("SECURE_TLS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_TLS
CSRF_COOKIE_SECURE = SECURE_TLS
SECURE_SSL_REDIRECT = SECURE_TLS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_TLS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
# Decided on purpose: joining the browsers' HSTS preload list is the domain owner's choice
# (SECURE_HSTS_PRELOAD=1), so check --deploy does not nag about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_TLS else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Celery: Redis is the broker; one queue per router (see vpn/queues.py).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 300}
if os.environ.get("CELERY_KEY_PREFIX"):
    # Several portals (or test runs) can share one Redis without taking each other's messages.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = os.environ["CELERY_KEY_PREFIX"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "portal"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The periodic guarantee behind the event-driven fast path: every router is reconciled and
# swept (one list-sas each) on its own queue. Entries expire before their next run.
CELERY_BEAT_SCHEDULE = {
    "reconcile-every-router": {
        "task": "vpn.reconcile_all",
        "schedule": env_int("PORTAL_RECONCILE_SECONDS", 30),
        "options": {"expires": env_int("PORTAL_RECONCILE_SECONDS", 30) - 5},
    },
    "sweep-every-router": {
        "task": "vpn.sweep_all",
        "schedule": env_int("PORTAL_SWEEP_SECONDS", 5),
        "options": {"expires": env_int("PORTAL_SWEEP_SECONDS", 5) - 1},
    },
}

# Product limits an operator sets.
PORTAL = {
    "MAX_REMOTE_CIDRS": env_int("PORTAL_MAX_REMOTE_CIDRS", 10),
    "MAX_CONNECTIONS_PER_GATEWAY": env_int("PORTAL_MAX_CONNECTIONS_PER_GATEWAY", 8),
    "ALLOW_LEGACY_CRYPTO": env_bool("PORTAL_ALLOW_LEGACY_CRYPTO"),
    "STATUS_POLL_SECONDS": env_int("PORTAL_STATUS_POLL_SECONDS", 1),
}

# Key that encrypts pre-shared keys at rest (Fernet, derived from this secret). Defaults to a key
# derived from SECRET_KEY; set it separately so SECRET_KEY can rotate without losing the PSKs.
PSK_ENCRYPTION_KEY = os.environ.get("PSK_ENCRYPTION_KEY", SECRET_KEY)

# Where new VPC routers come from: "lab" (a network namespace with its own charon on this host,
# for the demo and tests) or "manual" (an operator registers each router's VICI endpoint).
ROUTER_PROVIDER = os.environ.get("ROUTER_PROVIDER", "lab")

# The lab (network namespaces with real charons) that stands in for routers in demo and tests.
LAB_DIR = Path(os.environ.get("LAB_DIR", "/run/s2s-lab"))
LAB_PREFIX = os.environ.get("LAB_PREFIX", "s2s")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per task run every few seconds is noise; our own modules log transitions.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.beat": {"level": "WARNING"},
    },
}
