"""Acceptance (issue 13, identities): a device that names both ends by FQDN, as strongSwan's
published swanctl examples do (moon.strongswan.org and sun.strongswan.org), against our router.

The device is a lab site loaded with the portal's own swanctl download, rendered for the
identities the device uses (which may differ from what the tenant entered in the portal)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from lab.sites import host_of
from lab.world import world
from network.models import NetworkNode
from tests.e2e.helpers import (
    add_connection,
    customer,
    lab_vpc,
    portal_client,
    router_conns,
    wait_state,
)
from tests.stack import wait_for
from vpn.device_configs import render_device_config
from vpn.forms import CustomerGatewayForm
from vpn.models import CustomerGateway, VpnConnection
from vpn.specs import spec_for
from vpn.strongswan.session import open_session

pytestmark = [pytest.mark.lab]

SITE = "fqdn-site"
MOON, SUN = "moon.strongswan.org", "sun.strongswan.org"  # our gateway, the device
TYPO = "sun.strongswan.net"  # what the device says by mistake


def _device(connection: VpnConnection, own: str, peer: str, *, initiates: bool = True) -> None:
    """The device's swanctl.conf: our download with the device's own identity `own` and the
    one it expects from us `peer` (FQDNs); a device that only responds when not `initiates`."""
    connection = VpnConnection.objects.select_related("gateway__vpc", "customer_gateway").get(
        pk=connection.pk
    )
    spec = dataclasses.replace(
        spec_for(connection),
        remote_id_type="fqdn",
        remote_id=own,
        local_id_type="fqdn",
        local_id=peer,
    )
    text = render_device_config(spec)
    # A device that initiates before our router has the connection is refused once (no
    # config, NO_PROPOSAL_CHOSEN) and, after an initial failure, does not try again.
    wait_for(
        lambda: f"vpn-{connection.pk}" in router_conns(connection.gateway.vpc)[0],
        what="the router to hold the connection",
    )
    if not initiates:
        text = text.replace("start_action = start", "start_action = none")
        text = text.replace("close_action = start", "close_action = none")
    cgw = connection.customer_gateway
    world().add_site(SITE, [cgw.gateway_ip], [(c, host_of(c)) for c in cgw.cidrs])
    world().load_site_config(SITE, text)


def _device_initiates() -> None:
    """The device starts every connection it has, without waiting for the outcome."""
    with open_session(world().vici_uri(SITE)) as session:
        for conn in list(session.list_conns()):  # one request at a time on a session
            for ike, config in conn.items():
                for child in config["children"]:
                    name, child_name = _text(ike), _text(child)
                    request = {"ike": name, "child": child_name, "timeout": "-1"}
                    list(session.initiate(request))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _enter_identities(user, cgw: CustomerGateway, device: str, ours: str) -> None:  # type: ignore[no-untyped-def]
    """The tenant edits the customer gateway in the portal: both identities, as FQDNs."""
    fields = CustomerGatewayForm.Meta.fields
    data = {k: v for k, v in model_to_dict(cgw, fields=fields).items() if v is not None}
    data.update(
        psk="",
        remote_id_type="fqdn",
        remote_id=device,
        local_id_type="fqdn",
        local_id=ours,
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = portal_client(user).post(reverse("vpn:customer-gateway-edit", args=[cgw.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def _reason(connection: VpnConnection) -> str:
    connection.refresh_from_db()
    return connection.state_reason


def test_it_comes_up_once_the_tenant_enters_the_fqdn_identities(lab, alice, pool) -> None:
    vpc, cgw = lab_vpc(alice), customer(alice, site=False)
    connection = add_connection(portal_client(alice), vpc, cgw)
    _device(connection, own=SUN, peer=MOON)

    def explained() -> bool:
        if "identities do not match" in _reason(connection):
            return True
        # Until the device's own attempt reaches the router, all we know is that the device
        # refused ours (which names both causes). Its one try at load may cross ours and be
        # lost; a device tries again (on traffic, or on its own timer), so this one does too.
        _device_initiates()
        return False

    wait_for(explained, timeout=25, every=2, what=lambda: f"the identities: {_reason(connection)}")
    print(f"\nbefore the tenant enters the identities: {connection.state_reason}")
    assert f"identified itself as {SUN} and asked for {MOON}" in connection.state_reason
    assert "expects 203.0.113.10 and is 198.51.100.10" in connection.state_reason
    _enter_identities(alice, cgw, device=SUN, ours=MOON)
    took = wait_state(connection, "connected", timeout=20)
    print(f"identities entered -> Connected in {took:.1f} s")


@contextmanager
def _without_the_resync(lab, node: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The node's agent restarted with its periodic resync (every 4 s in the lab, which
    initiates every connection without an SA) out of the way, so that only the retry after a
    refusal can bring a connection up; the lab's agent is restored afterwards."""
    usual = lab.nodes.env

    def restart(env: dict[str, str]) -> None:
        lab.nodes.stop(node)
        lab.nodes.env = env
        since = timezone.now()
        lab.nodes.start(node)
        wait_for(
            lambda: NetworkNode.objects.filter(name=node, last_heartbeat__gt=since).exists(),
            timeout=30,
            what=f"node {node} to heartbeat after its restart",
        )

    restart({**usual, "PORTAL_RECONCILE_SECONDS": "600"})
    try:
        yield
    finally:
        restart(usual)


def test_it_names_a_wrong_device_identity_and_comes_up_once_it_is_fixed(lab, alice, pool) -> None:
    vpc = lab_vpc(alice)
    cgw = customer(
        alice, site=False, remote_id_type="fqdn", remote_id=SUN, local_id_type="fqdn", local_id=MOON
    )
    with _without_the_resync(lab, vpc.router.node.name):
        connection = add_connection(portal_client(alice), vpc, cgw)
        _device(connection, own=TYPO, peer=MOON)
        wait_for(
            lambda: TYPO in _reason(connection),
            timeout=25,
            what="a reason naming the identity the device sent",
        )
        print(f"\nwrong identity on the device: {connection.state}: {connection.state_reason}")
        assert f"expects {SUN} and is {MOON}" in connection.state_reason
        # Fixed, and from now on it only responds: only our router's retry can bring it up.
        _device(connection, own=SUN, peer=MOON, initiates=False)
        fixed = time.monotonic()
        took = wait_state(connection, "connected", timeout=30)
        print(f"device fixed -> Connected in {took:.1f} s, without Reset")
        assert time.monotonic() - fixed < 12
