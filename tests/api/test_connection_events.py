"""/api/v1/vpn-connections/{id}/events/: the connection's timeline, newest first, by cursor, in a
constant number of queries; another account's connection is a 404."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vpn.models import ConnectionEvent

pytestmark = pytest.mark.django_db


def events_url(connection) -> str:  # type: ignore[no-untyped-def]
    return reverse("api:connection-events", args=[connection.pk])


def record(connection, n: int) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now() - timedelta(hours=n)
    ConnectionEvent.objects.bulk_create(
        ConnectionEvent(
            connection=connection,
            at=start + timedelta(hours=k),
            kind="down" if k % 2 else "up",
            state="disconnected" if k % 2 else "connected",
            reason=f"event {k}",
        )
        for k in range(n)
    )


def test_it_lists_the_timeline_newest_first_with_reasons(api, connection) -> None:  # type: ignore[no-untyped-def]
    record(connection, 3)
    body = api.get(events_url(connection)).json()
    mine = [event for event in body["results"] if event["reason"].startswith("event")]
    assert [event["reason"] for event in mine] == ["event 2", "event 1", "event 0"]
    assert body["results"][0]["kind_label"] == "Created"  # the newest: the connection's creation
    assert (mine[0]["kind_label"], mine[0]["state"]) == ("Up", "connected")


def test_it_pages_by_cursor_through_every_event_once(api, connection) -> None:  # type: ignore[no-untyped-def]
    record(connection, 7)
    seen, url = [], events_url(connection) + "?page_size=3"
    while url:
        body = api.get(url).json()
        seen += [event["id"] for event in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == connection.events.count()


def test_it_reads_a_page_in_the_same_queries_whatever_the_history(api, connection) -> None:  # type: ignore[no-untyped-def]
    record(connection, 5)
    api.get(events_url(connection))  # the token's last use is written once a minute: now
    with CaptureQueriesContext(db) as few:
        api.get(events_url(connection))
    record(connection, 200)
    with CaptureQueriesContext(db) as many:
        api.get(events_url(connection))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_answers_another_accounts_connection_as_a_missing_one(charlie_api, connection) -> None:  # type: ignore[no-untyped-def]
    record(connection, 2)
    assert charlie_api.get(events_url(connection)).status_code == 404


def test_it_answers_a_forged_cursor_with_404(api, connection) -> None:  # type: ignore[no-untyped-def]
    # "cD1ub3Q" is base64 of "p=not": a position that is no time
    assert api.get(events_url(connection) + "?cursor=cD1ub3Q").status_code == 404
