"""ASGI entry point for uvicorn (production and `make demo`): every page as under WSGI (each
request's synchronous view runs in its own thread), and the live pages' event stream as an
async view that holds a socket, not a thread."""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Under ASGI each request's synchronous code runs in a thread of its own, so a connection kept
# for the next request would outlive its thread, never be reused, and pile up in PostgreSQL
# (Django's docs: disable persistent connections in async mode). On PostgreSQL each request
# borrows one from the process's bounded pool (portal/settings.py, DATABASE_POOL_SIZE) and
# gives it back when it ends; with the pool off, one new connection per request.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# WhiteNoise hands Django a file iterator, which the ASGI handler reads in a thread: fine for our
# few small static files, and said once per process otherwise.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)
application = get_asgi_application()
