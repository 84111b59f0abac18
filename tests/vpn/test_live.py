"""Live pages: what is published on an account's channel, and what its event stream sends, with
the suite's real Redis (channels under this run's broker prefix)."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.test import AsyncClient
from django.urls import reverse

from tests.state_changes import record_state
from vpn import actions, live
from vpn.models import VpnConnection


@pytest.fixture
def listen() -> Iterator:  # type: ignore[type-arg]
    """Subscribe to accounts' channels; returns a function reading the next message's body."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    pubsub = client.pubsub(ignore_subscribe_messages=True)

    def subscribe(account_id: int):  # type: ignore[no-untyped-def]
        pubsub.subscribe(live.channel(account_id))
        pubsub.get_message(timeout=1)  # the subscription's own confirmation

        def next_message(timeout: float = 2.0) -> dict | None:  # type: ignore[type-arg]
            message = pubsub.get_message(timeout=timeout)
            return None if message is None else json.loads(message["data"])

        return next_message

    yield subscribe
    pubsub.close()
    client.close()


@pytest.fixture
def connection(gateway, cgw) -> VpnConnection:  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="pending")


@pytest.mark.django_db
def test_it_publishes_a_recorded_state_change_on_the_accounts_channel(
    connection, listen, django_capture_on_commit_callbacks
) -> None:
    next_message = listen(connection.gateway.vpc.account_id)
    with django_capture_on_commit_callbacks(execute=True):  # published once the rows commit
        record_state(connection, "connected")
    assert next_message() == {
        "connection": connection.pk,
        "gateway": connection.gateway_id,
        "state": "connected",
    }


@pytest.mark.django_db
def test_it_publishes_a_tenants_reset_only_once_it_commits(
    connection, listen, django_capture_on_commit_callbacks
) -> None:
    next_message = listen(connection.gateway.vpc.account_id)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.reset_connection(connection)
    assert next_message(timeout=0.3) is None
    for callback in callbacks:
        callback()
    assert next_message() == {
        "connection": connection.pk,
        "gateway": connection.gateway_id,
        "state": "pending",
    }


@pytest.mark.django_db
def test_it_publishes_a_deleted_connection(
    connection, listen, django_capture_on_commit_callbacks
) -> None:
    next_message = listen(connection.gateway.vpc.account_id)
    connection_id = connection.pk
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_connection(connection)
    message = next_message()
    assert message is not None and message["connection"] == connection_id
    assert message["state"] == "deleted"


@pytest.mark.django_db
def test_it_keeps_the_change_when_redis_does_not_answer(connection, monkeypatch) -> None:
    monkeypatch.setattr(settings, "CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    live._redis.cache_clear()
    try:
        record_state(connection, "connected")  # logs, does not raise
    finally:
        live._redis.cache_clear()
    connection.refresh_from_db()
    assert connection.state == "connected"


def _collect(stream: AsyncIterator[bytes], publish, count: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    """The stream's first `count` chunks; `publish()` runs once it has subscribed."""

    async def run() -> list[bytes]:
        chunks = [await anext(stream)]
        await sync_to_async(publish)()
        while len(chunks) < count:
            chunks.append(await asyncio.wait_for(anext(stream), 5))
        await stream.aclose()  # type: ignore[attr-defined]
        return chunks

    return asyncio.run(run())


def test_it_streams_the_accounts_messages_as_server_sent_events() -> None:
    def publish() -> None:
        live.publish(901, connection_id=5, gateway_id=3, state="connected")

    chunks = _collect(live.stream(901), publish, 2)
    assert chunks[0].startswith(b"retry: ")
    assert chunks[1] == b'data: {"connection": 5, "gateway": 3, "state": "connected"}\n\n'


def test_it_streams_no_other_accounts_messages() -> None:
    def publish() -> None:
        live.publish(902, connection_id=6, gateway_id=4, state="error")
        live.publish(901, connection_id=5, gateway_id=3, state="connected")

    chunks = _collect(live.stream(901), publish, 2)
    assert b'"connection": 6' not in chunks[1] and b'"connection": 5' in chunks[1]


def test_it_sends_a_keep_alive_comment_when_idle(monkeypatch) -> None:
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.1)
    chunks = _collect(live.stream(903), lambda: None, 2)
    assert chunks[1] == b": keep-alive\n\n"


def test_it_ends_the_stream_after_its_lifetime(monkeypatch) -> None:
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.2)

    async def run() -> list[bytes]:
        return [chunk async for chunk in live.stream(904)]

    chunks = asyncio.run(asyncio.wait_for(run(), 5))
    assert len(chunks) == 1 and chunks[0].startswith(b"retry: ")


@pytest.mark.django_db(transaction=True)
def test_it_streams_the_requests_own_account_to_an_event_source(alice, charlie, vpc) -> None:
    """Charlie's page gets Charlie's account's messages, never Alice's (the view takes no id
    from the request: the account is the session's)."""

    async def run() -> list[bytes]:
        client = AsyncClient()
        await client.aforce_login(charlie)
        response = await client.get(reverse("vpn:events"), headers={"Accept": "text/event-stream"})
        assert response["Content-Type"] == "text/event-stream"
        stream = aiter(response.streaming_content)
        chunks = [await anext(stream)]
        await sync_to_async(live.publish)(alice.account_id, 1, 1, "connected")
        await sync_to_async(live.publish)(charlie.account_id, 2, 2, "error")
        chunks.append(await asyncio.wait_for(anext(stream), 5))
        return chunks

    chunks = async_to_sync(run)()  # the ORM calls in this (the test's) thread
    assert chunks[1] == b'data: {"connection": 2, "gateway": 2, "state": "error"}\n\n'


@pytest.mark.django_db
def test_it_refuses_the_stream_to_anything_but_an_event_source(alice_client) -> None:
    response = alice_client.get(reverse("vpn:events"))
    assert response.status_code == 406


@pytest.mark.django_db
def test_it_sends_an_anonymous_visitor_of_the_stream_to_the_login_page(client) -> None:
    response = client.get(reverse("vpn:events"), headers={"Accept": "text/event-stream"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_it_refuses_the_stream_to_a_user_without_an_account(client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user(username="ops", password="x"))
    response = client.get(reverse("vpn:events"), headers={"Accept": "text/event-stream"})
    assert response.status_code == 404


def test_it_refreshes_a_page_that_was_rendered_before_the_last_change() -> None:
    """A change between the page's render and its subscription is not lost."""
    live.publish(905, connection_id=7, gateway_id=5, state="connected")
    since_ms = int(time.time() * 1000) - 5_000
    chunks = _collect(live.stream(905, since_ms), lambda: None, 2)
    assert chunks[1] == live.REFRESH


def test_it_does_not_refresh_a_page_rendered_after_the_last_change() -> None:
    live.publish(906, connection_id=8, gateway_id=6, state="connected")
    since_ms = int(time.time() * 1000) + 5_000

    def publish() -> None:
        live.publish(906, connection_id=8, gateway_id=6, state="error")

    chunks = _collect(live.stream(906, since_ms), publish, 2)
    assert b'"state": "error"' in chunks[1]
