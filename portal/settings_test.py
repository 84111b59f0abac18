"""Settings for the test suite: the real settings with test-run defaults set first.

`make test` points DATABASE_URL at PostgreSQL. The broker is a Redis database of the tests' own,
so real enqueues land somewhere a test can look.
"""

import os

os.environ.setdefault("PORTAL_INSECURE_DEFAULTS", "1")
os.environ.setdefault("SECURE_TLS", "0")
os.environ.setdefault("PORTAL_LAB", "1")  # the tests' customer sites and network nodes
# A lab of this run's own (never the demo's), inherited by the processes the tests start.
os.environ.setdefault("LAB_PREFIX", f"t{os.getpid() % 0x10000:04x}")
os.environ.setdefault("LAB_DIR", f"/run/s2s-{os.environ['LAB_PREFIX']}")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/15")
# One broker namespace per test run; the worker and monitor processes it starts inherit it.
os.environ.setdefault("CELERY_KEY_PREFIX", f"test-{os.getpid()}:")

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
