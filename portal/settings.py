"""Settings, read from the environment.

Every setting a deployment changes comes from an environment variable; the defaults are the
embedded demo (SQLite, DEBUG off unless ``DEBUG=1``). See the README's "Configuration" table.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

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
# PORTAL_ROLE=agent: a network node's agent. It signs nothing (no sessions, no forms), so it is
# not given the portal's SECRET_KEY; it gets a random one of its own, and must be given the PSK
# key explicitly.
AGENT = os.environ.get("PORTAL_ROLE", "portal") == "agent"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if AGENT and SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("A network node's agent must not be given SECRET_KEY.")
if AGENT and not SECRET_KEY:
    SECRET_KEY = secrets.token_urlsafe(50)
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our own static files
    "portal",
    "network",
    "vpn",
    "api",
    "alerts",
    "agent",
]
# The lab (simulated customer sites and several network nodes on one machine) is installed only
# where it runs: the demo, the tests and the benchmark set PORTAL_LAB=1.
if env_bool("PORTAL_LAB"):
    INSTALLED_APPS.append("lab")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, right after security
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "portal.tenancy.AccountMiddleware",
    "portal.audit.AuditMiddleware",  # the actions' audit events read who acts from here
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.security.NoStoreMiddleware",
    "portal.security.SecondFactorMiddleware",
    "portal.security.RateLimitMiddleware",
    "api.idempotency.IdempotencyMiddleware",  # after the session's user is known
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into a page
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"  # what uvicorn serves (live pages stream)

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

# PostgreSQL connections come from a bounded pool in each process (psycopg-pool, Django's
# OPTIONS["pool"]). Under ASGI every request's synchronous view runs in a thread of its own, and
# a node agent follows each router in a thread of its own: without a pool each thread opened its
# own connection, so a burst of requests or a node with 200 routers took every slot PostgreSQL
# has ("too many clients", HTTP 500). With it, a process holds at most DATABASE_POOL_SIZE
# connections; a thread that finds them all busy waits up to DATABASE_POOL_TIMEOUT seconds for
# one (the portal then answers 503, "busy, try again", see portal.middleware). 0 turns the pool
# off (connections kept DATABASE_CONN_MAX_AGE seconds per thread, as before).
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 8)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # a closed connection goes back to the pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env_int("DATABASE_POOL_MIN_SIZE", 1), DATABASE_POOL_SIZE),
        "max_size": DATABASE_POOL_SIZE,
        "timeout": float(env_int("DATABASE_POOL_TIMEOUT", 10)),
        # a connection idle this long is closed (down to min_size): a quiet agent gives back
        # what a burst of router events took
        "max_idle": 60.0,
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
# django-axes first: it refuses a locked-out username+address before the password is checked.
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
LOGIN_REDIRECT_URL = "network:vpc-list"
LOGOUT_REDIRECT_URL = "login"

# Sessions end when the browser closes, and at the latest PORTAL_SESSION_SECONDS after login
# (the session is saved at login and rarely after, so this is close to an absolute lifetime).
SESSION_COOKIE_AGE = env_int("PORTAL_SESSION_SECONDS", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes), shared by the portal's and the admin's login: after
# PORTAL_LOGIN_FAILURE_LIMIT failures for one username from one address, that pair is locked
# for PORTAL_LOGIN_LOCKOUT_MINUTES (counted from the lockout; more tries do not extend it).
# An operator unlocks early with `manage.py axes_reset_username NAME` or in the admin.
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip"
# How many reverse proxies in front of the portal append to X-Forwarded-For (0: none, the
# client's address is REMOTE_ADDR). Behind one TLS proxy, 1; never more than there are.
PORTAL_PROXY_COUNT = env_int("PORTAL_PROXY_COUNT", 0)

# The audit log (portal/audit.py): every tenant's and operator's action, kept this many days
# (older events are deleted daily by beat).
PORTAL_AUDIT_RETENTION_DAYS = env_int("PORTAL_AUDIT_RETENTION_DAYS", 365)

# Second factor (django-otp, TOTP): any user may turn it on from their account page; with
# PORTAL_REQUIRE_STAFF_OTP=1 staff must, before they reach anything else (the admin included).
PORTAL_REQUIRE_STAFF_OTP = env_bool("PORTAL_REQUIRE_STAFF_OTP")
OTP_TOTP_ISSUER = "S2S VPN portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin lists devices but never shows their secrets

# Changes (POST, PUT, PATCH, DELETE) per signed-in user: "N/second", "N/minute" or "N/hour";
# empty turns the limit off. Counted in the cache: Redis when REDIS_URL is set (shared by every
# web process), else this process's memory.
PORTAL_RATE_LIMIT = os.environ.get("PORTAL_RATE_LIMIT", "60/minute")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The REST API (api/): tokens first, the session (with CSRF) for the browsable docs.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Requests per token (per user for the session): see api/throttles.py.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.TokenRateThrottle"],
}
# API requests per token (or per signed-in browser session), "N/second", "N/minute", "N/hour" or
# "N/day"; empty turns the limit off. Counted in the cache, like PORTAL_RATE_LIMIT.
PORTAL_API_RATE = os.environ.get("PORTAL_API_RATE", "600/minute")
# Usable (neither revoked nor expired) API tokens one account may hold.
PORTAL_API_TOKENS_PER_ACCOUNT = env_int("PORTAL_API_TOKENS_PER_ACCOUNT", 20)
# The bearer token Prometheus sends to /metrics; empty (the default): /metrics is a 404.
PORTAL_METRICS_TOKEN = os.environ.get("PORTAL_METRICS_TOKEN", "")

# Alerts (alerts/): the portal's address as the alert messages link to it; a webhook may call a
# loopback address only with PORTAL_ALERT_ALLOW_LOOPBACK=1 (tests and the demo: never in
# production, where it would let a tenant reach the portal's own host). An alert "minute" is
# PORTAL_ALERT_MINUTE_SECONDS long (60; the end-to-end tests shorten it).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://localhost:8000")
PORTAL_ALERT_ALLOW_LOOPBACK = env_bool("PORTAL_ALERT_ALLOW_LOOPBACK")
PORTAL_ALERT_MINUTE_SECONDS = env_int("PORTAL_ALERT_MINUTE_SECONDS", 60)
# Alert emails go through this SMTP server (Django's EMAIL_* settings, from the environment).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "s2s-vpn@localhost")
SPECTACULAR_SETTINGS = {
    "TITLE": "S2S VPN portal API",
    "DESCRIPTION": "Everything a tenant does in the portal: VPCs, customer gateways, the VPC's "
    "VPN gateway and its VPN connections.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.idempotency.document_idempotency_key",
    ],
    # One name per choice set that several fields share (IKE and ESP take the same lists).
    "ENUM_NAME_OVERRIDES": {
        "EncryptionEnum": "vpn.choices.IkeEncryption",
        "IntegrityEnum": "vpn.choices.Integrity",
        "DhGroupEnum": "vpn.choices.DhGroup",
        "PfsGroupEnum": "vpn.choices.PfsGroup",
        "IkeVersionEnum": "vpn.choices.IkeVersion",
        "IdentityTypeEnum": "vpn.choices.IdentityType",
        "ConnectionStateEnum": "vpn.choices.ConnectionState",
        "VpcStateEnum": "network.choices.VpcState",
    },
}

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
# WhiteNoise serves the files collectstatic gathered in STATIC_ROOT, compressed. Hashed names (the
# manifest, cached for a year) need collectstatic to have run, as it has in the docker image
# (STATIC_MANIFEST=1 there); the demo and the tests render templates without it, so they keep
# plain names.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST") and not DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security. Production runs behind TLS; the demo on plain http://127.0.0.1:8000.
SECURE_TLS = env_bool("SECURE_TLS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_TLS
CSRF_COOKIE_SECURE = SECURE_TLS
SECURE_SSL_REDIRECT = SECURE_TLS and env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers and container health checks probe plain http inside the deployment.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
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
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Celery: Redis is the broker; one queue per router (see vpn/queues.py).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# The cache holds only counters (the rate limit). With REDIS_URL set (a deployment), every web
# process counts in one place; without it (the demo, the tests) each process counts alone.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if "REDIS_URL" in os.environ
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
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
# Placement and failover of routers (network.tasks.check_nodes, every few seconds). Each agent
# reconciles and sweeps its own routers (see agent/), so no broadcast and no fan-out is needed.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # no broadcast commands reach any worker
CELERY_BEAT_SCHEDULE = {
    "scan-alerts": {
        "task": "alerts.scan",
        "schedule": env_int("PORTAL_ALERT_SCAN_SECONDS", 30),
        "options": {"expires": max(env_int("PORTAL_ALERT_SCAN_SECONDS", 30) - 5, 1)},
    },
    "prune-connection-history": {
        "task": "vpn.prune_history",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "prune-audit-events": {
        "task": "portal.prune_audit_events",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "check-network-nodes": {
        "task": "network.check_nodes",
        "schedule": env_int("NETWORK_CHECK_SECONDS", 2),
        "options": {"expires": env_int("NETWORK_CHECK_SECONDS", 2)},
    },
}

# Network nodes: a node that has not heartbeaten for NETWORK_NODE_DOWN_AFTER seconds is down,
# and (with NETWORK_AUTO_FAILOVER) its routers are rebuilt on other live nodes.
NETWORK_NODE_DOWN_AFTER = env_int("NETWORK_NODE_DOWN_AFTER", 15)
NETWORK_AUTO_FAILOVER = env_bool("NETWORK_AUTO_FAILOVER", True)

# The agent of a network node (manage.py network_agent): what this host is and how its routers
# reach the public network. Only the agent reads these.
NETWORK_AGENT: dict[str, Any] = {
    "NODE_NAME": os.environ.get("NODE_NAME", ""),
    "RUN_DIR": Path(os.environ.get("NODE_RUN_DIR", "/run/s2s-node")),
    "PREFIX": os.environ.get("NODE_PREFIX", "s2s"),
    "EXTERNAL_BRIDGE": os.environ.get("NODE_EXTERNAL_BRIDGE", "br-ex"),
    "EXTERNAL_NETNS": os.environ.get("NODE_EXTERNAL_NETNS", ""),
    "EXTERNAL_ROUTES": env_list("NODE_EXTERNAL_ROUTES", "0.0.0.0/0"),
    "DATAPATH": os.environ.get("NODE_DATAPATH", "auto"),
    "CAPACITY": env_int("NODE_CAPACITY", 100),
    "HEARTBEAT_SECONDS": env_int("NODE_HEARTBEAT_SECONDS", 2),
    "RECONCILE_SECONDS": env_int("PORTAL_RECONCILE_SECONDS", 30),
    "SWEEP_SECONDS": env_int("PORTAL_SWEEP_SECONDS", 5),
}

# Product limits an operator sets.
PORTAL = {
    "MAX_REMOTE_CIDRS": env_int("PORTAL_MAX_REMOTE_CIDRS", 10),
    "MAX_CONNECTIONS_PER_GATEWAY": env_int("PORTAL_MAX_CONNECTIONS_PER_GATEWAY", 8),
    "ALLOW_LEGACY_CRYPTO": env_bool("PORTAL_ALLOW_LEGACY_CRYPTO"),
    # The connection tables' safety-net refresh: changes reach open pages at once through
    # server-sent events (vpn/live.py); this poll only covers a stream that was lost.
    "STATUS_POLL_SECONDS": env_int("PORTAL_STATUS_POLL_SECONDS", 30),
}

# Per-account quotas: the most VPCs (each takes a public IP from the pool), customer gateways and
# VPN connections one account may have. These are the defaults; an operator sets an account's own
# in the admin (Accounts), where an empty value means this default.
PORTAL_QUOTA_VPCS = env_int("PORTAL_QUOTA_VPCS", 5)
PORTAL_QUOTA_CUSTOMER_GATEWAYS = env_int("PORTAL_QUOTA_CUSTOMER_GATEWAYS", 20)
PORTAL_QUOTA_CONNECTIONS = env_int("PORTAL_QUOTA_CONNECTIONS", 20)

# A connection's history (its detail page): events and traffic samples are kept this many days
# (older ones are deleted daily by beat); the agents sample counters at most once per
# PORTAL_HISTORY_SAMPLE_SECONDS. A connection down PORTAL_FLAP_COUNT times within
# PORTAL_FLAP_MINUTES is flagged as flapping.
PORTAL_HISTORY_RETENTION_DAYS = env_int("PORTAL_HISTORY_RETENTION_DAYS", 90)
PORTAL_HISTORY_SAMPLE_SECONDS = env_int("PORTAL_HISTORY_SAMPLE_SECONDS", 60)
PORTAL_FLAP_COUNT = env_int("PORTAL_FLAP_COUNT", 3)
PORTAL_FLAP_MINUTES = env_int("PORTAL_FLAP_MINUTES", 15)

# Keys that encrypt pre-shared keys at rest (vpn/crypto.py): PSK_ENCRYPTION_KEYS, a comma-separated
# list of Fernet keys or other secrets; the first encrypts, all decrypt. To rotate: put a new key
# first (portal and every network node), run `manage.py rotate_psk_keys`, then drop the old key.
# PSK_ENCRYPTION_KEY, one key taken whole, is the older spelling and still read. Required outside
# DEBUG: a key derived from SECRET_KEY (the demo's and the tests' default) would make every PSK
# unreadable the day SECRET_KEY rotates. An agent has no SECRET_KEY to fall back on at all.
PSK_ENCRYPTION_KEYS = env_list("PSK_ENCRYPTION_KEYS")
_legacy_psk_key = os.environ.get("PSK_ENCRYPTION_KEY", "")
if _legacy_psk_key and not PSK_ENCRYPTION_KEYS:
    PSK_ENCRYPTION_KEYS = [_legacy_psk_key]
elif _legacy_psk_key and _legacy_psk_key not in PSK_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "PSK_ENCRYPTION_KEY is set but is not one of PSK_ENCRYPTION_KEYS: the PSKs it encrypted "
        "would be unreadable. Put it in PSK_ENCRYPTION_KEYS (last) or unset it."
    )
if not PSK_ENCRYPTION_KEYS:
    if AGENT:
        raise ImproperlyConfigured("A network node's agent needs PSK_ENCRYPTION_KEYS.")
    if not DEBUG and not env_bool("PORTAL_INSECURE_DEFAULTS"):
        raise ImproperlyConfigured(
            "PSK_ENCRYPTION_KEYS must be set (or DEBUG=1 for a local demo). A deployment that ran "
            "without it has its PSKs encrypted under SECRET_KEY: set PSK_ENCRYPTION_KEY to the "
            "value of SECRET_KEY to keep reading them, then rotate to a key of their own."
        )
    PSK_ENCRYPTION_KEYS = [SECRET_KEY]
# The first key alone, for what still hands a single key on (lab/nodes.py).
PSK_ENCRYPTION_KEY = PSK_ENCRYPTION_KEYS[0]

# The lab (demo, tests, bench only): its customer sites and its internet live under LAB_DIR.
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
        # django-axes: failures and lockouts are warnings; its four lines per good login are not.
        "axes": {"level": "WARNING"},
    },
}
