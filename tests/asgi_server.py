"""The portal under uvicorn in a thread of the test process, as production serves it (ASGI),
for the tests that need what only an ASGI server does: the live pages' event streams (under
WSGI a streaming async view is read to its end before anything is sent).

It stands in for pytest-django's `live_server` (same `url` and settings handling), with static
files served from the finders as `live_server` does.
"""

import socket
import threading
import time

import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import modify_settings


class AsgiLiveServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            ASGIStaticFilesHandler(get_asgi_application()),
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        # Enabled for each test by pytest-django's _live_server_helper, as for live_server.
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": host})
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # As portal/asgi.py has it (settings are read already here): a request's connection
        # closes with it, rather than outliving the request's own thread.
        connections.settings[DEFAULT_DB_ALIAS]["CONN_MAX_AGE"] = 0
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()

    def __str__(self) -> str:
        return self.url
