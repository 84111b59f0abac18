"""The canary pre-shared key and the watchers that look for it where it must never be.

Every customer gateway the hostile suite creates has CANARY as its key. While the suite runs,
`Watch` sees every response the test client returns, every log record, and (after each test
that used the database, or whenever a test asks) every text column of every table; the broker's
messages are read by tests/hostile/test_canary.py at the end. The one place the key may appear
is the owner's Download configuration file: handing the key to its owner is its purpose.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve

CANARY = "Canary-Hostile-PSK-7f3Qz"
# The key as it could leak: as it is, base64-encoded (how a device file may carry it, and how
# a message body would hide it) and hex-encoded.
CANARY_FORMS = (
    CANARY,
    base64.b64encode(CANARY.encode()).decode().rstrip("="),
    CANARY.encode().hex(),
)
# The owner's configuration downloads (the portal's and the API's), and the query that asks for
# the file.
DOWNLOAD_VIEWS = {
    "vpn:connection-configuration": "download=",
    "api:connection-configuration": "device=",
}
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def holds_canary(text: str) -> bool:
    return any(form in text for form in CANARY_FORMS)


@dataclass
class Leak:
    where: str
    test: str

    def __str__(self) -> str:
        return f"{self.where} (during {self.test or 'setup'})"


@dataclass
class Watch:
    """What the watchers saw during the run, and every place the canary turned up."""

    leaks: list[Leak] = field(default_factory=list)
    responses: int = 0
    downloads: int = 0  # the owner's configuration files (the one allowed place)
    records: int = 0
    scans: int = 0
    test: str = ""

    def leak(self, where: str) -> None:
        found = Leak(where, self.test)
        if found not in self.leaks:
            self.leaks.append(found)

    # -- responses ---------------------------------------------------------------------------

    def see_response(self, environ: dict[str, Any], response: HttpResponse) -> None:
        self.responses += 1
        what = f"response to {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        headers = response.serialize_headers().decode("latin-1") + response.cookies.output()
        if holds_canary(headers):
            self.leak(f"{what}: headers")
        request = getattr(response, "wsgi_request", None)
        for message in getattr(request, "_messages", ()):
            if holds_canary(str(message)):
                self.leak(f"{what}: message {str(message)[:120]!r}")
        if response.streaming:
            return
        if _is_owners_download(environ, response):
            self.downloads += 1
            return
        if holds_canary(response.content.decode("utf-8", "replace")):
            self.leak(f"{what}: body (status {response.status_code})")

    # -- log records -------------------------------------------------------------------------

    def handler(self) -> logging.Handler:
        return _RecordWatcher(self)

    # -- the database ------------------------------------------------------------------------

    def scan_database(self) -> None:
        """Every text column of every table, and every session's decoded data."""
        try:
            with transaction.atomic():
                for where in database_canaries():
                    self.leak(where)
        except DatabaseError:
            return  # the test broke its transaction; it failed already
        self.scans += 1


class _RecordWatcher(logging.Handler):
    def __init__(self, watch: Watch) -> None:
        super().__init__(logging.DEBUG)
        self.watch = watch
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)  # with the traceback, when there is one
        except Exception:  # a record whose arguments do not fit its format
            text = f"{record.msg!r} {record.args!r}"
        self.watch.records += 1
        if holds_canary(text):
            self.watch.leak(f"log record of {record.name}: {text[:200]!r}")


def _is_owners_download(environ: dict[str, Any], response: HttpResponse) -> bool:
    try:
        view = resolve(environ.get("PATH_INFO", "")).view_name
    except Resolver404:
        return False
    return (
        view in DOWNLOAD_VIEWS
        and DOWNLOAD_VIEWS[view] in environ.get("QUERY_STRING", "")
        and response.status_code == 200
        and response.get("Content-Disposition", "").startswith("attachment;")
        and "no-store" in response.get("Cache-Control", "")
    )


@cache
def text_columns() -> tuple[tuple[str, str], ...]:
    """(table, column) of every text-like column of the database, from information_schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type = ANY(%s)"
            " ORDER BY table_name, ordinal_position",
            [list(TEXT_TYPES)],
        )
        return tuple(cursor.fetchall())


def database_canaries() -> Iterator[str]:
    """Where the canary is stored: "table.column (n rows)"; one query for every column."""
    columns = text_columns()
    quote = connection.ops.quote_name
    patterns = ["%" + _like_escape(form) + "%" for form in CANARY_FORMS]
    # Names from information_schema, quoted: nothing from a request.
    selects = [
        f"SELECT %s, count(*) FROM {quote(table)} WHERE {quote(column)}::text LIKE ANY(%s)"  # noqa: S608
        for table, column in columns
    ]
    params: list[object] = []
    for table, column in columns:
        params += [f"{table}.{column}", patterns]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for where, rows in cursor.fetchall():
            if rows:
                yield f"database column {where} ({rows} rows)"
    yield from _session_canaries()


def _session_canaries() -> Iterator[str]:
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        if holds_canary(repr(session.get_decoded())):
            yield f"session {session.session_key[:6]}... (decoded)"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- the broker ------------------------------------------------------------------------------


def broker_texts(client: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """(key, text) of everything stored under the run's broker prefix, message bodies decoded."""
    for raw_key in client.scan_iter(match=prefix + "*"):
        key = raw_key.decode("utf-8", "replace")
        kind = client.type(raw_key).decode()
        values: list[bytes] = []
        if kind == "list":
            values = client.lrange(raw_key, 0, -1)
        elif kind == "hash":
            values = [k + b"=" + v for k, v in client.hgetall(raw_key).items()]
        elif kind == "set":
            values = list(client.smembers(raw_key))
        elif kind == "zset":
            values = client.zrange(raw_key, 0, -1)
        elif kind == "string":
            values = [client.get(raw_key) or b""]
        for value in values:
            text = value.decode("utf-8", "replace")
            yield key, text
            yield from ((key, body) for body in _message_bodies(text))


def _message_bodies(text: str) -> Iterator[str]:
    """A kombu message's body, decoded from base64 (as kombu stores it in Redis)."""
    try:
        message = json.loads(text)
    except ValueError:
        return
    if isinstance(message, dict) and isinstance(message.get("body"), str):
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8", "replace")
        yield body
