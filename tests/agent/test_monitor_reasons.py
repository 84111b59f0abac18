"""The event monitor turns charon's log into the connection's reason, including the lines of an
IKE SA charon responds to before it has found a config (no name yet: found by the device's
address). The lines are charon 5.9.8's, captured in the lab (tests/e2e/test_identities.py).

Transactional tests: the monitor calls close_old_connections() as a thread of its own must,
which would close the connection a test's surrounding transaction lives in."""

import pytest

from agent import monitor
from agent.monitor import RouterWatch
from vpn.choices import ConnectionState
from vpn.models import VpnConnection
from vpn.strongswan.sas import Observed


@pytest.fixture
def connection(on_node, gateway, cgw):  # type: ignore[no-untyped-def]
    return VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)


def _log(watch: RouterWatch, uniqueid: int, text: str, name: str = "") -> None:
    message = {"ikesa-uniqueid": str(uniqueid).encode(), "msg": text.encode()}
    if name:
        message["ikesa-name"] = name.encode()
    watch._on_log(message)
    watch.flush()  # what the watch's writer thread does a few milliseconds later


def _came_up(watch: RouterWatch, name: str, uniqueid: int) -> None:
    """charon's ike-updown event: IKE SA `uniqueid` of the connection came up."""
    up = {"uniqueid": str(uniqueid).encode(), "state": b"ESTABLISHED"}
    watch._on_state_event(b"ike-updown", {"up": b"yes", name: up})


@pytest.mark.django_db(transaction=True)
def test_it_explains_a_device_identity_no_config_matches(connection, on_node) -> None:
    watch = RouterWatch(on_node.pk, "unix:///nowhere")
    _log(watch, 2, "203.0.113.10 is initiating an IKE_SA")
    _log(
        watch,
        2,
        "looking for peer configs matching "
        "198.51.100.10[moon.strongswan.org]...203.0.113.10[sun.strongswan.org]",
    )
    _log(watch, 2, "no matching peer config found")
    connection.refresh_from_db()
    assert connection.state == "error"
    assert "identified itself as sun.strongswan.org" in connection.state_reason


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_proven_cause_when_the_device_then_refuses_us(connection, on_node) -> None:
    watch = RouterWatch(on_node.pk, "unix:///nowhere")
    _log(watch, 2, "looking for peer configs matching 1.2.3.4[a.org]...203.0.113.10[b.org]")
    _log(watch, 2, "no matching peer config found")
    name = f"vpn-{connection.pk}"
    _log(watch, 3, "received AUTHENTICATION_FAILED notify error", name=name)
    connection.refresh_from_db()
    assert "identities do not match (not the key)" in connection.state_reason


@pytest.mark.django_db(transaction=True)
def test_it_ignores_an_unnamed_ike_sa_of_an_unknown_address(connection, on_node) -> None:
    watch = RouterWatch(on_node.pk, "unix:///nowhere")
    _log(watch, 2, "looking for peer configs matching 1.2.3.4[a.org]...192.0.2.99[b.org]")
    _log(watch, 2, "no matching peer config found")
    connection.refresh_from_db()
    assert connection.state != "error"


@pytest.mark.django_db(transaction=True)
def test_it_forgets_failures_logged_before_the_ike_sa_came_up(connection, on_node) -> None:
    watch = RouterWatch(on_node.pk, "unix:///nowhere")
    name = f"vpn-{connection.pk}"
    _log(watch, 3, "received NO_PROPOSAL_CHOSEN notify error", name=name)
    assert watch._logs[name]
    # The state event's own refresh asks charon (list-sas); only the forgetting is tested here.
    watch.refresh = lambda *args, **kwargs: None  # type: ignore[method-assign]
    watch._on_state_event(b"ike-updown", {"up": b"yes", name: {"state": b"ESTABLISHED"}})
    assert name not in watch._logs


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_tunnel_connected_when_a_negotiation_beside_it_fails(
    connection, on_node, monkeypatch
) -> None:
    """Both ends initiating at once: one negotiation fails while the other's tunnel is up."""
    VpnConnection.objects.filter(pk=connection.pk).update(state="connected")
    watch = RouterWatch(on_node.pk, "unix:///nowhere")
    up = Observed(ConnectionState.CONNECTED, "Connected.")
    monkeypatch.setattr(monitor, "derive_state", lambda spec, sas: up)  # what list-sas shows
    monkeypatch.setattr(watch, "_sas", lambda name: [])
    _log(watch, 3, "received NO_PROPOSAL_CHOSEN notify error", name=f"vpn-{connection.pk}")
    connection.refresh_from_db()
    assert connection.state == "connected"


@pytest.mark.django_db(transaction=True)
def test_it_records_the_failure_when_the_tunnel_is_not_up_any_more(
    connection, on_node, monkeypatch
) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(state="connected")
    watch = RouterWatch(on_node.pk, "unix:///nowhere")
    down = Observed(ConnectionState.DISCONNECTED, "No IKE SA.")
    monkeypatch.setattr(monitor, "derive_state", lambda spec, sas: down)
    monkeypatch.setattr(watch, "_sas", lambda name: [])
    _log(watch, 3, "received NO_PROPOSAL_CHOSEN notify error", name=f"vpn-{connection.pk}")
    connection.refresh_from_db()
    assert connection.state == "error"
    assert "No common algorithms" in connection.state_reason


@pytest.mark.django_db(transaction=True)
def test_it_ignores_the_failure_of_a_duplicate_negotiation_once_another_came_up(
    connection, watch
) -> None:
    """Both ends initiated: ours (IKE SA 3) fails after the device's (IKE SA 2) came up."""
    name = f"vpn-{connection.pk}"
    _log(watch, 3, "initiating IKE_SA vpn-1[3] to 203.0.113.10", name=name)
    _came_up(watch, name, 2)
    _log(watch, 3, "received NO_PROPOSAL_CHOSEN notify error", name=name)
    connection.refresh_from_db()
    assert connection.state != "error"


@pytest.mark.django_db(transaction=True)
def test_it_ignores_the_failure_of_a_negotiation_older_than_the_one_that_came_up(
    connection, watch
) -> None:
    """Ours (IKE SA 3) began before the monitor listened and crossed the device's (IKE SA 4),
    which came up; then the device stopped and answered ours with a refusal."""
    name = f"vpn-{connection.pk}"
    _came_up(watch, name, 4)
    _log(watch, 3, "received NO_PROPOSAL_CHOSEN notify error", name=name)
    connection.refresh_from_db()
    assert connection.state != "error"


@pytest.mark.django_db(transaction=True)
def test_it_records_the_failure_of_a_negotiation_begun_after_the_tunnel_came_up(
    connection, watch
) -> None:
    """IKE SA 4 came up and went; ours (IKE SA 5) is a new try, and the device refuses it."""
    name = f"vpn-{connection.pk}"
    _came_up(watch, name, 4)
    _log(watch, 5, "received NO_PROPOSAL_CHOSEN notify error", name=name)
    connection.refresh_from_db()
    assert connection.state == "error"


@pytest.mark.django_db(transaction=True)
def test_it_ignores_a_failure_when_a_crossing_negotiation_came_up_before_it_was_written(
    connection, watch
) -> None:
    """Ours (IKE SA 3) is refused; the device's (IKE SA 4) comes up a moment later, before the
    writer's batch."""
    name = f"vpn-{connection.pk}"
    failure = b"received NO_PROPOSAL_CHOSEN notify error"
    watch._on_log({"ikesa-uniqueid": b"3", "ikesa-name": name.encode(), "msg": failure})
    _came_up(watch, name, 4)
    watch.flush()
    connection.refresh_from_db()
    assert connection.state != "error"
