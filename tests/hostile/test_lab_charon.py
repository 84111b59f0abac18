"""Generated cases against real charons (needs root): what the portal accepts loads into our
router's charon (the `load-conn` and `load-shared` messages) and into a customer's (the
downloaded swanctl.conf, with swanctl), and the two bring a tunnel up.

One router and one site for the module (`charons`: agent.driver.Host, built as
tests/agent/test_driver_host.py builds them); each example loads its connection, waits for the
tunnel and unloads it again. A small sample: each example negotiates a real IKE SA.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from vici.exception import CommandException

from agent.driver import DriverUnavailable
from agent.driver import Host as Lab
from tests.hostile.conftest import rolled_back
from tests.hostile.inputs import choices_offered, psks
from tests.hostile.test_render_properties import SPEC
from tests.hostile.watch import CANARY, Watch
from vpn.device_configs import render_device_config
from vpn.models import CustomerGateway, VpnConnection
from vpn.specs import spec_for
from vpn.strongswan import render
from vpn.strongswan.session import open_session as vici_session
from vpn.strongswan.spec import ConnSpec

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)"),
]

ROUTER_IP = "198.51.100.10"  # the first address of the `pool` fixture: the VPC router's
SITE_IP = "203.0.113.10"
SITE_SUBNETS = [("10.2.0.0/24", "10.2.0.1"), ("10.3.0.0/24", "10.3.0.1")]
SAMPLE = settings(
    max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
UP_WITHIN = 15.0  # seconds for an IKE SA and a CHILD_SA to be up


@pytest.fixture(scope="module")
def charons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(tmp_path_factory.mktemp("hostile") / "lab", prefix=f"h{secrets.token_hex(3)}")
    try:
        lab.check()
    except DriverUnavailable as error:
        pytest.skip(str(error))
    lab.up()
    try:
        lab.add_router("router", ROUTER_IP, [("10.1.1.0/24", "10.1.1.1")])
        lab.add_site("site", [SITE_IP], SITE_SUBNETS)
        yield lab
    finally:
        lab.down()


def bring_up(lab: Lab, spec: ConnSpec, device_file: str) -> None:
    """Load both ends, wait for the tunnel, then take everything down again."""
    name = render.conn_name(spec.connection_id)
    lab.stop_charon("site")
    lab.start_charon("site")  # a fresh device for every example
    try:
        with vici_session(lab.vici_uri("router")) as session:
            session.load_conn(render.render_conn(spec))
            session.load_shared(render.render_shared(spec))
        lab.load_site_config("site", device_file)  # raises if swanctl refuses any of it
        assert _established(lab, name), f"{name} did not come up within {UP_WITHIN}s"
    finally:
        _unload(lab, spec)


def _established(lab: Lab, name: str) -> bool:
    deadline = time.monotonic() + UP_WITHIN
    while time.monotonic() < deadline:
        with vici_session(lab.vici_uri("router")) as session:
            for sa in session.list_sas({"ike": name}):
                ike = sa.get(name)
                children = (ike or {}).get("child-sas", {}).values()
                if (
                    ike
                    and ike["state"] == b"ESTABLISHED"
                    and any(child["state"] == b"INSTALLED" for child in children)
                ):
                    return True
        time.sleep(0.2)
    return False


def _unload(lab: Lab, spec: ConnSpec) -> None:
    name = render.conn_name(spec.connection_id)
    with vici_session(lab.vici_uri("router"), timeout=10) as session:
        for command in (
            lambda: list(session.terminate({"ike": name, "force": "yes", "timeout": "-1"})),
            lambda: session.unload_conn({"name": name}),
            lambda: session.unload_shared({"id": render.shared_id(spec.connection_id)}),
        ):
            with contextlib.suppress(CommandException):  # nothing of it was loaded
                command()
    lab.stop_charon("site")


@st.composite
def policies(draw: st.DrawFn) -> dict[str, str]:
    """A policy as the form offers it, for the lab's site and networks."""
    offered = choices_offered()
    form = {field: draw(st.sampled_from(values)) for field, values in offered.items()}
    subnets = draw(
        st.lists(st.sampled_from([s for s, _h in SITE_SUBNETS]), min_size=1, unique=True)
    )
    return {
        **form,
        "name": "lab",
        "gateway_ip": SITE_IP,
        "cidr_list": ", ".join(subnets),
        "ike_lifetime": str(draw(st.integers(1200, 86400))),
        "esp_lifetime": str(draw(st.integers(1200, 86400))),
        "dpd_delay": str(draw(st.integers(1, 30))),
        "dpd_timeout": str(draw(st.integers(31, 120))),
        **{
            f: "on"
            for f in ("dpd_enabled", "split_connections", "force_encap")
            if draw(st.booleans())
        },
    }


@pytest.mark.django_db
def test_it_brings_up_every_accepted_policy_between_real_charons(
    charons, alice_client, alice, gateway, watch: Watch
) -> None:  # type: ignore[no-untyped-def]
    assert gateway.public_ip == ROUTER_IP
    up: list[str] = []

    @SAMPLE
    @given(form=policies(), passive=st.booleans())
    def attempt(form: dict[str, str], passive: bool) -> None:
        with rolled_back(watch):
            created = alice_client.post(
                reverse("vpn:customer-gateway-create"), {**form, "psk": CANARY}
            )
            if created.status_code == 422:
                return  # a policy the portal refuses (its own tests say which)
            assert created.status_code == 302
            cgw = CustomerGateway.objects.get(account=alice.account, name="lab")
            added = alice_client.post(
                reverse("vpn:connection-add", args=[gateway.pk]),
                {"customer_gateway": cgw.pk, **({"passive": "on"} if passive else {})},
            )
            assert added.status_code == 302, added.content.decode()[:2000]
            connection = VpnConnection.objects.get(customer_gateway=cgw)
            download = alice_client.get(
                reverse("vpn:connection-configuration", args=[connection.pk]),
                {"download": "strongswan"},
            )
            bring_up(charons, spec_for(connection), download.content.decode())
            up.append(form["ike_version"])

    attempt()
    assert up, "no generated policy was accepted"


@SAMPLE
@given(psk=psks())
@example(psk="0Xdeadbeef12")  # swanctl would read it as hex if written as it is
@example(psk="0Sc2VjcmV0LWtleQ==")  # ... as base64
@example(psk="has#a-hash-mark")  # a comment outside quotes
@example(psk="${charon.plugins}")  # a reference, in strongswan.conf syntax
def test_it_authenticates_with_every_key_the_form_takes(charons, psk: str) -> None:  # type: ignore[no-untyped-def]
    """No database: the key is not a customer gateway's, only the renderers' input."""
    spec = replace(
        SPEC,
        connection_id=1000 + secrets.randbelow(10**6),
        gateway_ip=ROUTER_IP,
        peer_ip=SITE_IP,
        remote_cidrs=(SITE_SUBNETS[0][0],),
        psk=psk,
    )
    bring_up(charons, spec, render_device_config(spec))
