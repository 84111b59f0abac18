"""The connection detail page: its owner's only, htmx regions, constant queries, flapping."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vpn import history
from vpn.actions import create_connection
from vpn.models import ConnectionEvent, TrafficSample, VpnConnection
from vpn.timeline import Cursor


@pytest.fixture
def connection(gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(
        gateway=gateway,
        customer_gateway=cgw,
        state="connected",
        state_reason="Connected to 203.0.113.10.",
        negotiated="IKE AES_CBC-256/HMAC_SHA2_256_128/MODP_2048",
        ike_version=2,
        nat_t=True,
    )


def _url(connection) -> str:  # type: ignore[no-untyped-def]
    return reverse("vpn:connection-detail", args=[connection.pk])


def _events(connection, count: int, kind: str = "rekey", **fields) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    ConnectionEvent.objects.bulk_create(
        [
            ConnectionEvent(
                connection=connection,
                kind=kind,
                at=now - timedelta(minutes=n * 5),
                **{"state": "connected", **fields},
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


@pytest.mark.django_db
def test_it_shows_the_state_and_what_was_negotiated(alice_client, connection) -> None:
    body = alice_client.get(_url(connection)).content.decode()
    assert "Connected to 203.0.113.10." in body and "IKEv2" in body
    assert "NAT detected" in body and "AES_CBC-256" in body


@pytest.mark.django_db
def test_it_is_a_404_for_another_account(charlie_client, connection) -> None:
    assert charlie_client.get(_url(connection)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fragment", ["state", "timeline"])
def test_it_answers_htmx_with_one_region(alice_client, connection, fragment) -> None:
    response = alice_client.get(_url(connection), {"fragment": fragment}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and f'id="connection-{fragment}"' in body
    assert response["Vary"].count("HX-Request") == 1
    full = alice_client.get(_url(connection), {"fragment": fragment}).content.decode()
    assert (
        "<html" in full and 'id="connection-state"' in full and 'id="connection-timeline"' in full
    )


@pytest.mark.django_db
def test_it_lists_the_timeline_newest_first_with_reasons(alice_client, connection) -> None:
    history.record_event(connection.pk, "down", state="disconnected", reason="Peer gone.")
    history.record_event(connection.pk, "up", state="connected", reason="Back.")
    body = alice_client.get(_url(connection)).content.decode()
    timeline = body[body.index('id="connection-timeline"') :]
    assert timeline.index("Back.") < timeline.index("Peer gone.")


@pytest.mark.django_db
def test_it_costs_the_same_queries_with_10_or_1000_events(alice_client, connection) -> None:
    _events(connection, 10)
    with CaptureQueriesContext(db) as few:
        assert alice_client.get(_url(connection)).status_code == 200
    _events(connection, 990)
    middle = connection.events.order_by("-at", "-id")[500]
    with CaptureQueriesContext(db) as many:
        before = {"before": str(Cursor.of(middle))}
        assert alice_client.get(_url(connection), before).status_code == 200
    with CaptureQueriesContext(db) as oldest:
        assert alice_client.get(_url(connection), {"oldest": "1"}).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(oldest.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_it_gives_the_availability_in_words(alice_client, connection) -> None:
    now = timezone.now()
    history.record_event(connection.pk, "up", state="connected", at=now - timedelta(days=2))
    history.record_event(
        connection.pk,
        "down",
        state="disconnected",
        reason="Peer not responding.",
        at=now - timedelta(hours=2),
    )
    history.record_event(connection.pk, "up", state="connected", at=now - timedelta(hours=1))
    body = alice_client.get(_url(connection)).content.decode()
    assert "of the last 24 h; down 1 time:" in body and "(Peer not responding)" in body
    assert 'class="bar-down"' in body


@pytest.mark.django_db
def test_it_draws_the_traffic_of_the_samples(alice_client, connection) -> None:
    now = timezone.now()
    TrafficSample.objects.create(connection=connection, at=now - timedelta(hours=3))
    TrafficSample.objects.create(
        connection=connection, at=now - timedelta(hours=2), bytes_in=5_000_000, bytes_out=7_000
    )
    body = alice_client.get(_url(connection)).content.decode()
    assert "Traffic in the last 24 h: 5.0 MB in, 7.0 kB out" in body


@pytest.mark.django_db
def test_it_flags_a_flapping_connection_on_its_page_and_rows(alice_client, connection) -> None:
    _events(connection, 4, kind="down", state="disconnected")  # 0, 5, 10, 15 minutes ago
    flag = "Flapping: down 3 times in 15 minutes"  # the one 15 minutes ago is just out
    pages = [
        _url(connection),
        reverse("vpn:connection-list"),
        reverse("vpn:gateway-detail", args=[connection.gateway_id]) + "?tab=connections",
    ]
    for page in pages:
        assert flag in alice_client.get(page).content.decode(), page


@pytest.mark.django_db
def test_it_does_not_flag_downs_spread_out(alice_client, connection) -> None:
    _events(connection, 3, kind="down", state="disconnected")
    ConnectionEvent.objects.filter(connection=connection).update(
        at=timezone.now() - timedelta(hours=1)
    )
    assert "Flapping" not in alice_client.get(_url(connection)).content.decode()


@pytest.mark.django_db
def test_it_links_the_rows_to_the_page(alice_client, connection) -> None:
    for page in (
        reverse("vpn:connection-list"),
        reverse("vpn:gateway-detail", args=[connection.gateway_id]) + "?tab=connections",
    ):
        assert f'href="{_url(connection)}"' in alice_client.get(page).content.decode()


@pytest.mark.django_db
def test_it_starts_the_timeline_when_the_tenant_creates_the_connection(gateway, cgw) -> None:
    connection = create_connection(gateway, cgw, passive=False)
    assert list(connection.events.values_list("kind", "state")) == [("created", "pending")]


@pytest.mark.django_db
def test_it_draws_a_connection_without_history_from_its_current_state(
    alice_client, connection
) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(
        state_changed=timezone.now() - timedelta(days=30)
    )
    body = alice_client.get(_url(connection)).content.decode()
    assert "Connected 100.0% of the last 24 h; never down." in body
    assert "Connected 100.0% of the last 7 days; never down." in body


@pytest.mark.django_db
def test_it_writes_svg_coordinates_with_a_dot_in_any_language(
    alice_client, connection, settings
) -> None:
    settings.LANGUAGE_CODE = "de"
    now = timezone.now()
    history.record_event(connection.pk, "up", state="connected", at=now - timedelta(days=2))
    history.record_event(connection.pk, "down", state="disconnected", at=now - timedelta(hours=5))
    history.record_event(connection.pk, "up", state="connected", at=now - timedelta(minutes=77))
    body = alice_client.get(_url(connection)).content.decode()
    gap = body[body.index('class="bar-down"') :].split(">")[0]
    assert "," not in gap and "." in gap
