"""The detail page's timeline, paged by keyset (vpn/timeline.py): newest first, every event once
whichever way the tenant walks, the same rows on a page while new events arrive."""

import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from vpn import history
from vpn.models import ConnectionEvent, VpnConnection
from vpn.timeline import PER_PAGE, timeline_page


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw, state="connected")


def _events(connection, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` events, three at each time (a router's restart writes them so); their ids newest
    first, in the page's order."""
    now = timezone.now()
    ConnectionEvent.objects.bulk_create(
        ConnectionEvent(connection=connection, kind="rekey", at=now - timedelta(minutes=n // 3))
        for n in range(count)
    )
    return list(connection.events.order_by("-at", "-id").values_list("pk", flat=True))


def _page(connection, query: str = ""):  # type: ignore[no-untyped-def]
    return timeline_page(connection.events.all(), QueryDict(query))


@pytest.mark.django_db
def test_it_walks_to_the_oldest_and_back_showing_every_event_once(connection) -> None:
    everything = _events(connection, 2 * PER_PAGE + 7)
    page, seen = _page(connection), []
    while True:
        seen += [e.pk for e in page.events]
        if not page.older:
            break
        page = _page(connection, page.older)
    assert seen == everything
    back = []
    while True:
        back = [e.pk for e in page.events] + back
        if not page.newer:
            break
        page = _page(connection, page.newer)
    assert back[-PER_PAGE:] == everything[-PER_PAGE:] and set(back) == set(everything)
    assert [e.pk for e in page.events] == everything[:PER_PAGE]  # back on the newest page


@pytest.mark.django_db
def test_it_reads_the_oldest_page_from_the_oldest_end(connection) -> None:
    everything = _events(connection, 2 * PER_PAGE + 7)
    oldest = _page(connection, "oldest=1")
    assert [e.pk for e in oldest.events] == everything[-PER_PAGE:]
    assert oldest.newer and not oldest.older


@pytest.mark.django_db
def test_it_keeps_a_page_s_rows_while_new_events_arrive(connection) -> None:
    _events(connection, 2 * PER_PAGE)
    second = _page(connection, _page(connection).older)
    history.record_event(connection.pk, "down", state="disconnected", reason="Peer gone.")
    again = _page(connection, second.query)
    assert [e.pk for e in again.events] == [e.pk for e in second.events]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["before=x", "after=1.2.3", "before=-99999999999999999.1", ""])
def test_it_shows_the_newest_page_for_a_cursor_that_does_not_parse(connection, query) -> None:
    everything = _events(connection, PER_PAGE + 1)
    page = _page(connection, query)
    assert [e.pk for e in page.events] == everything[:PER_PAGE] and not page.newer


@pytest.mark.django_db
def test_it_links_the_pages_and_refreshes_the_same_rows(alice_client, connection) -> None:
    _events(connection, PER_PAGE + 1)
    url = reverse("vpn:connection-detail", args=[connection.pk])
    first = alice_client.get(url).content.decode()
    assert 'href="?after=' not in first and 'href="?oldest=1"' in first
    (older,) = re.findall(r'href="\?(before=[0-9.]+)"', first)
    second = alice_client.get(f"{url}?{older}").content.decode()
    assert 'href="?after=' in second and 'href="?before=' not in second
    assert f"?fragment=timeline&amp;{older}" in second  # the region's refresh keeps its rows
