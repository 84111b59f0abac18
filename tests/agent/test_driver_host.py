"""The router driver's Host against real namespaces and charons (a router and a site on one
owned bridge, as the lab wires them): needs root. Nothing here needs Django.
"""

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest

from agent.driver import DriverCommandError, DriverUnavailable, InvalidNode, UnknownNode
from agent.driver import Host as Lab
from vpn.strongswan.session import open_session as vici_session

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)"),
]

SESSION_TOKEN = secrets.token_hex(2)
SERIAL = count()
ROUTER_IP, SITE_IP, SITE_IP_2 = "198.51.100.10", "203.0.113.10", "203.0.113.11"
TIER, TIER_GW = "10.1.0.0/24", "10.1.0.1"
SUBNET, SUBNET_HOST = "10.2.0.0/24", "10.2.0.1"
PSK = "lab-test-secret-0123456789"

SITE_SWANCTL = f"""
connections {{
    tenant {{
        version = 2
        local_addrs = {SITE_IP}
        remote_addrs = {ROUTER_IP}
        proposals = aes256-sha256-modp2048
        local {{
            auth = psk
            id = {SITE_IP}
        }}
        remote {{
            auth = psk
            id = {ROUTER_IP}
        }}
        children {{
            net {{
                local_ts = {SUBNET}
                remote_ts = {TIER}
                esp_proposals = aes256-sha256-modp2048
            }}
        }}
    }}
}}
secrets {{
    ike-tenant {{
        id-site = {SITE_IP}
        id-router = {ROUTER_IP}
        secret = "{PSK}"
    }}
}}
"""


def router_conn(dpd_delay: str = "0s") -> dict[str, object]:
    return {
        "tenant": {
            "version": "2",
            "local_addrs": [ROUTER_IP],
            "remote_addrs": [SITE_IP],
            "proposals": ["aes256-sha256-modp2048"],
            "dpd_delay": dpd_delay,
            "local-1": {"auth": "psk", "id": ROUTER_IP},
            "remote-1": {"auth": "psk", "id": SITE_IP},
            "children": {
                "net": {
                    "local_ts": [TIER],
                    "remote_ts": [SUBNET],
                    "esp_proposals": ["aes256-sha256-modp2048"],
                }
            },
        }
    }


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A lab with a prefix of its own, always taken down again."""
    lab = Lab(tmp_path / "lab", prefix=f"t{SESSION_TOKEN}{next(SERIAL)}")
    try:
        lab.check()
    except DriverUnavailable as error:
        pytest.skip(str(error))
    lab.up()
    try:
        yield lab
    finally:
        lab.down()


def build(lab: Lab) -> None:
    lab.add_router("router", ROUTER_IP, [(TIER, TIER_GW)])
    lab.add_site("site", [SITE_IP, SITE_IP_2], [(SUBNET, SUBNET_HOST)])


def establish(lab: Lab, dpd_delay: str = "0s") -> None:
    """Build a router and a site and bring a PSK tunnel up from the site."""
    build(lab)
    with vici_session(lab.vici_uri("router")) as session:
        session.load_conn(router_conn(dpd_delay))
        session.load_shared(
            {"id": "psk-tenant", "type": "IKE", "data": PSK, "owners": [ROUTER_IP, SITE_IP]}
        )
    lab.load_site_config("site", SITE_SWANCTL)
    with vici_session(lab.vici_uri("site")) as session:
        list(session.initiate({"ike": "tenant", "child": "net", "timeout": 5000}))


def child_sa(lab: Lab, node: str) -> tuple[str, dict[str, bytes]]:
    """The IKE state and the one CHILD_SA of a node's only IKE_SA."""
    with vici_session(lab.vici_uri(node)) as session:
        sas = list(session.list_sas())
    assert len(sas) == 1, sas
    ike = sas[0]["tenant"]
    [child] = ike["child-sas"].values()
    return ike["state"].decode(), child


def ping_through_tunnel(lab: Lab) -> subprocess.CompletedProcess[str]:
    argv = ["ping", "-c", "2", "-W", "1", "-I", SUBNET_HOST, TIER_GW]
    return lab.exec("site", argv)


def netns_names() -> set[str]:
    return {
        line.split()[0]
        for line in subprocess.check_output(["ip", "netns", "list"], text=True).splitlines()
    }


def link_names(ns: str | None = None) -> set[str]:
    argv = ["ip", *(["-n", ns] if ns else []), "-j", "link", "show"]
    return {link["ifname"] for link in json.loads(subprocess.check_output(argv, text=True))}


def test_it_leaves_nothing_behind(lab: Lab) -> None:
    build(lab)
    pids = [node.pid for node in lab.status()]
    cables = {lab.inet_link("router"), lab.inet_link("site")}
    assert all(node.running for node in lab.status())
    assert link_names(lab.inet) == {"lo", "br0", *cables}
    assert not link_names() & {*cables, "ext0", "in0", "in0p"}  # never in the root namespace

    lab.down()

    assert not {ns for ns in netns_names() if ns.startswith(f"{lab.prefix}-")}
    assert not link_names() & cables
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert not [path for path in lab.base_dir.rglob("*") if path.name != ".lock"]


def test_it_removes_one_node_and_its_cable(lab: Lab) -> None:
    build(lab)

    lab.remove("site")

    assert [node.name for node in lab.status()] == ["router"]
    assert lab.inet_link("site") not in link_names(lab.inet)
    assert lab.namespace("site") not in netns_names()


def test_it_is_idempotent(lab: Lab) -> None:
    build(lab)
    pids = {node.name: node.pid for node in lab.status()}

    lab.up()
    build(lab)

    assert {node.name: node.pid for node in lab.status()} == pids
    shown = lab.exec("site", ["ip", "-4", "-o", "addr", "show", "dev", "ext0"]).stdout
    assert sorted(line.split()[3] for line in shown.splitlines()) == [
        f"{SITE_IP}/32",
        f"{SITE_IP_2}/32",
    ]


def test_it_follows_changed_tiers(lab: Lab) -> None:
    build(lab)

    lab.add_router("router", ROUTER_IP, [("10.1.1.0/24", "10.1.1.1")])

    shown = lab.exec("router", ["ip", "-4", "-o", "addr", "show"]).stdout
    assert "10.1.1.1/24" in shown
    assert "10.1.0.1/24" not in shown


def test_it_restarts_a_crashed_charon(lab: Lab) -> None:
    build(lab)
    lab.kill_charon("router")
    [router] = [node for node in lab.status() if node.name == "router"]
    assert router.pid is not None and not router.running  # the stale pid file stays

    lab.up()

    [router] = [node for node in lab.status() if node.name == "router"]
    assert router.running
    with vici_session(lab.vici_uri("router")) as session:
        assert session.version()["daemon"] == b"charon"


def test_it_starts_again_over_a_stale_pid_file(lab: Lab) -> None:
    build(lab)
    lab.kill_charon("site")

    lab.start_charon("site")

    assert all(node.running for node in lab.status())


def test_it_rebuilds_a_lost_namespace(lab: Lab) -> None:
    build(lab)
    [lost_pid] = [node.pid for node in lab.status() if node.name == "router"]
    subprocess.run(["ip", "netns", "delete", lab.namespace("router")], check=True)

    lab.up()

    assert all(node.running and node.namespace_exists for node in lab.status())
    assert not Path(f"/proc/{lost_pid}").exists()  # the charon of the lost namespace is gone
    assert lab.exec("site", ["ping", "-c", "1", "-W", "1", ROUTER_IP]).returncode == 0


def test_it_carries_traffic_through_the_tunnel(lab: Lab) -> None:
    establish(lab)

    ping = ping_through_tunnel(lab)

    assert ping.returncode == 0, ping.stdout + ping.stderr
    for node in ("site", "router"):
        ike_state, child = child_sa(lab, node)
        assert (ike_state, child["state"]) == ("ESTABLISHED", b"INSTALLED")
        assert int(child["bytes-in"]) > 0
    route = lab.exec("site", ["ip", "route", "get", TIER_GW, "from", SUBNET_HOST]).stdout
    assert "dev ipsec0" in route


def test_it_blackholes_a_pulled_link(lab: Lab) -> None:
    establish(lab)

    lab.set_link("site", up=False)
    lab.up()  # recovery must not plug a cable pulled on purpose

    assert lab.exec("site", ["ping", "-c", "1", "-W", "1", ROUTER_IP]).returncode != 0
    assert ping_through_tunnel(lab).returncode != 0
    lab.set_link("site", up=True)
    assert ping_through_tunnel(lab).returncode == 0


def test_it_declares_a_dead_peer_within_seconds(lab: Lab) -> None:
    establish(lab, dpd_delay="2s")
    with vici_session(lab.vici_uri("router"), timeout=30) as session:
        events = session.listen(["ike-updown"], timeout=1.0)
        started = time.monotonic()
        lab.set_link("site", up=False)
        try:
            for label, message in events:
                if label is not None and b"up" not in message["tenant"]:
                    break
                assert time.monotonic() - started < 25, "the router never declared the site dead"
        finally:
            events.close()  # unregisters while the socket is still open
        elapsed = time.monotonic() - started

    assert elapsed < 20


def test_it_reports_what_swanctl_refused(lab: Lab) -> None:
    build(lab)

    with pytest.raises(DriverCommandError, match="swanctl refused"):
        lab.load_site_config(
            "site", "connections { broken { children { x { esp_proposals = nope } } } }"
        )


def test_it_loads_a_site_again_only_when_its_config_or_charon_changed(lab: Lab) -> None:
    build(lab)
    assert lab.load_site_config("site", SITE_SWANCTL, if_changed=True)
    assert not lab.load_site_config("site", SITE_SWANCTL, if_changed=True)
    assert lab.load_site_config("site", SITE_SWANCTL)  # asked for outright: loaded
    lab.stop_charon("site")
    lab.start_charon("site")  # a new charon has nothing loaded
    assert lab.load_site_config("site", SITE_SWANCTL, if_changed=True)
    with vici_session(lab.vici_uri("site")) as session:
        assert [c.decode() for c in session.get_conns()["conns"]] == ["tenant"]
    changed = SITE_SWANCTL.replace("aes256-sha256-modp2048", "aes128-sha256-modp2048")
    assert changed != SITE_SWANCTL
    assert lab.load_site_config("site", changed, if_changed=True)


def test_it_lets_a_site_of_many_devices_answer_many_initiations_across_rebuilds(
    lab: Lab,
) -> None:
    lab.add_site("many", [SITE_IP, SITE_IP_2], [(SUBNET, SUBNET_HOST)], many_devices=True)
    lab.add_site("site", ["192.0.2.201"], [("192.168.201.0/24", "192.168.201.1")])
    conf = {name: lab.base_dir / name / "strongswan.conf" for name in ("many", "site")}
    lab.up()  # rebuilds every node from its node.json
    assert "block_threshold = 100000" in conf["many"].read_text()
    assert "block_threshold = 5" in conf["site"].read_text()


def test_it_keeps_public_addresses_in_documentation_ranges(lab: Lab) -> None:
    with pytest.raises(InvalidNode, match="not in"):
        lab.add_router("router", "8.8.8.8", [(TIER, TIER_GW)])
    assert lab.status() == []


def test_it_names_an_unknown_node(lab: Lab) -> None:
    with pytest.raises(UnknownNode, match="no node 'ghost'"):
        lab.start_charon("ghost")
