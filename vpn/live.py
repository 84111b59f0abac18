"""Live pages: a change of a connection reaches every open page of its account within a blink.

Whoever changes a connection publishes a tiny message on its account's Redis channel: the node's
agent for every recorded state change (the `states_changed` receiver below), the web process for
the tenant's own actions (create, reset, delete: `announce`, on commit). The page holds one
EventSource on `events` (an async view under the ASGI server), which streams its own account's
channel and nothing else; its script asks htmx to refresh the region that shows the connection,
so the rendering stays on the server and an idle page costs no request at all.

Why not faster polling: a poll costs a request per open page per interval and still adds half
an interval on average; a subscription costs one idle socket and delivers in a millisecond.

A message carries ids and a state only (never a name, an address or a key):
`{"connection": 7, "gateway": 3, "state": "connected"}` (state "deleted" when the row is gone).
"""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from functools import cache
from typing import Any

import redis
import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection as database
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.http import require_GET

from portal.tenancy import tenant_account, tenant_view
from portal.types import TenantRequest
from vpn import signals
from vpn.models import VpnConnection

log = logging.getLogger(__name__)

# A comment line this often keeps proxies and browsers from closing an idle stream.
KEEPALIVE_SECONDS = 15.0
# How long one stream lives before the browser reconnects (and the session is checked again).
STREAM_SECONDS = 300.0
# The browser's reconnect delay after a stream ends or the server restarts.
RETRY_MS = 1000
DELETED = "deleted"
REFRESH = b'data: {"refresh": true}\n\n'  # every live region of the page, once
LAST_CHANGE_TTL = 3600  # seconds; a page older than this refreshes on its own poll anyway


def channel(account_id: int) -> str:
    """The account's channel. Pub/sub ignores Redis's database number, so the broker's key
    prefix (one per portal, or per test run) keeps two portals on one Redis apart."""
    prefix = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", ""))
    return f"{prefix}live:account:{account_id}"


def last_change_key(account_id: int) -> str:
    """When the account's last message was published (epoch ms): a page rendered before it
    whose stream subscribed after it refreshes once, so no change falls between the two."""
    return channel(account_id) + ":last"


@cache
def _redis() -> "redis.Redis":
    """One client per process (a pool inside); short timeouts, as a publisher never waits."""
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=0.5, socket_connect_timeout=0.5
    )


def publish(account_id: int, connection_id: int, gateway_id: int, state: str) -> None:
    """Tell the account's open pages; a Redis that does not answer costs a log line, never
    the change itself (the pages' slow safety-net refresh shows it anyway)."""
    message = {"connection": connection_id, "gateway": gateway_id, "state": state}
    try:
        with _redis().pipeline(transaction=False) as pipe:
            pipe.set(last_change_key(account_id), int(time.time() * 1000), ex=LAST_CHANGE_TTL)
            pipe.publish(channel(account_id), json.dumps(message))
            pipe.execute()
    except redis.RedisError as error:
        log.warning("live: could not publish connection %s: %s", connection_id, error)


def announce(connection: VpnConnection, state: str) -> None:
    """Publish once the caller's transaction commits (a page must read the new row)."""
    account_id = connection.gateway.vpc.account_id
    connection_id, gateway_id = connection.pk, connection.gateway_id
    transaction.on_commit(lambda: publish(account_id, connection_id, gateway_id, state))


@receiver(signals.states_changed)
def publish_the_changes(
    sender: type[VpnConnection], changes: Sequence[signals.StateChange], **_: Any
) -> None:
    """In the agent's process, in the transaction that wrote the rows: one indexed query
    (primary keys) for their gateways and accounts, then, once it commits (a page must read
    the new rows), one pipeline of PUBLISHes."""
    states = {change.connection_id: change.state for change in changes}
    rows = list(
        VpnConnection.objects.filter(pk__in=list(states)).values_list(
            "pk", "gateway_id", "gateway__vpc__account_id"
        )
    )
    transaction.on_commit(lambda: _publish_many(rows, states))


def _publish_many(rows: list[tuple[int, int, int]], states: dict[int, str]) -> None:
    try:
        with _redis().pipeline(transaction=False) as pipe:
            for pk, gateway_id, account_id in rows:
                message = {"connection": pk, "gateway": gateway_id, "state": states[pk]}
                pipe.set(last_change_key(account_id), int(time.time() * 1000), ex=LAST_CHANGE_TTL)
                pipe.publish(channel(account_id), json.dumps(message))
            pipe.execute()
    except redis.RedisError as error:
        log.warning("live: could not publish %d change(s): %s", len(states), error)


async def stream(account_id: int, since_ms: int | None = None) -> AsyncIterator[bytes]:
    """Server-sent events of one account's channel: a retry hint, a refresh when the account
    changed after `since_ms` (the page's render) and before this subscription, then each
    message, a keep-alive comment when idle, and an end after STREAM_SECONDS (the browser
    reconnects)."""
    client = redis.asyncio.Redis.from_url(settings.CELERY_BROKER_URL)
    pubsub = client.pubsub()
    loop = asyncio.get_running_loop()
    try:
        await pubsub.subscribe(channel(account_id))
        yield f"retry: {RETRY_MS}\n: subscribed\n\n".encode()
        last = await client.get(last_change_key(account_id))
        if since_ms is not None and last is not None and int(last) >= since_ms:
            yield REFRESH
        end = loop.time() + STREAM_SECONDS
        quiet_since = loop.time()
        while (now := loop.time()) < end:
            wait = max(0.0, min(quiet_since + KEEPALIVE_SECONDS, end) - now)
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            if message is not None:
                yield b"data: " + message["data"] + b"\n\n"
                quiet_since = loop.time()
            elif loop.time() >= quiet_since + KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                quiet_since = loop.time()
    finally:
        await pubsub.aclose()
        await client.aclose()


def _release_database() -> None:
    """The login's queries are done: a stream that lasts minutes must not hold a database
    connection (50 open pages would hold 50). The connection belongs to the request (Django
    keeps it per request context, opened by a middleware's thread), which uses it no more, so it
    is closed from here with Django's own sharing switch."""
    database.inc_thread_sharing()
    try:
        database.close()
    finally:
        database.dec_thread_sharing()


@tenant_view
@require_GET
async def events(request: TenantRequest) -> HttpResponseBase:
    """The request's own account's live messages (the account is the session's: no id is read
    from the request, only `since`, the page's render time). Only an EventSource (Accept:
    text/event-stream) gets the stream; anything else a 406."""
    account = tenant_account(request)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        return HttpResponse(
            "This address streams server-sent events to the portal's pages.",
            status=406,
            content_type="text/plain",
        )
    await sync_to_async(_release_database)()
    since = request.GET.get("since", "")  # the page's render time, epoch seconds
    since_ms = int(since) * 1000 if since.isdigit() else None
    response = StreamingHttpResponse(stream(account.pk, since_ms), content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a buffering proxy (nginx) passes each event on
    return response
