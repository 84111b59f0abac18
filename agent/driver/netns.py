"""Thin wrappers around `ip`: namespaces, links and addresses, each step idempotent."""

import json
import subprocess
from pathlib import Path
from typing import Any

from agent.driver.errors import DriverCommandError

NETNS_DIR = Path("/run/netns")
COMMAND_TIMEOUT = 10.0


def run(argv: list[str], timeout: float = COMMAND_TIMEOUT) -> str:
    """Run a command; return its stdout, or raise DriverCommandError with its stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise DriverCommandError(f"{' '.join(argv)} failed ({done.returncode}): {output}")
    return done.stdout


def ip(ns: str, *args: str) -> str:
    """`ip` inside namespace `ns` ("" is the root namespace, where a node's external bridge
    lives in production)."""
    return run(["ip", *(("-n", ns) if ns else ()), *args])


def exists(ns: str) -> bool:
    return (NETNS_DIR / ns).exists()


def add(ns: str) -> None:
    """Create the namespace (if missing), IPv4 only, with its loopback up.

    IPv6 is off so that link-local addresses appearing on new links do not make charon roam
    (and send MOBIKE updates) for nothing.
    """
    if not exists(ns):
        run(["ip", "netns", "add", ns])
    sysctls = [f"net.ipv6.conf.{scope}.disable_ipv6=1" for scope in ("all", "default")]
    # A router rebuilt on another node announces its address when its link comes up, so the
    # neighbours' ARP caches follow at once.
    sysctls += [f"net.ipv4.conf.{scope}.arp_notify=1" for scope in ("all", "default")]
    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", *sysctls])
    ip(ns, "link", "set", "lo", "up")


def delete(ns: str) -> None:
    if exists(ns):
        run(["ip", "netns", "delete", ns])


def links(ns: str) -> dict[str, dict[str, Any]]:
    """Links of a namespace by name, as `ip -j link` reports them."""
    return {link["ifname"]: link for link in json.loads(ip(ns, "-j", "link", "show") or "[]")}


def addresses(ns: str, dev: str) -> set[str]:
    """IPv4 addresses of a device as "address/prefixlen"."""
    shown = json.loads(ip(ns, "-j", "-4", "addr", "show", "dev", dev) or "[]")
    return {f"{info['local']}/{info['prefixlen']}" for link in shown for info in link["addr_info"]}


def set_addresses(ns: str, dev: str, wanted: list[str]) -> None:
    """Make the device carry exactly these addresses (each "address/prefixlen")."""
    have = addresses(ns, dev)
    for address in sorted(have - set(wanted)):
        ip(ns, "addr", "del", address, "dev", dev)
    for address in wanted:
        if address not in have:
            ip(ns, "addr", "add", address, "dev", dev)


def ensure_bridge(ns: str, bridge: str) -> None:
    if bridge not in links(ns):
        ip(ns, "link", "add", bridge, "type", "bridge")
    ip(ns, "link", "set", bridge, "up")


def ensure_veth(ns: str, name: str, peer_ns: str, peer: str, bridge: str) -> None:
    """A veth pair: `name` in `ns` enslaved to `bridge`, `peer` in `peer_ns` and up.

    An existing pair keeps the state of its `name` end: a cable pulled there stays pulled.
    """
    if peer not in links(peer_ns):
        if name in links(ns):  # a half-made pair would block the name
            ip(ns, "link", "delete", name)
        ip(ns, "link", "add", name, "type", "veth", "peer", "name", peer, "netns", peer_ns)
        ip(ns, "link", "set", name, "master", bridge, "up")
    ip(peer_ns, "link", "set", peer, "up")


def ensure_stubs(ns: str, prefix: str, addresses_by_index: list[str]) -> None:
    """Links `{prefix}0..N` carrying one address each; extra ones are deleted.

    Each is a veth pair with both ends in `ns` and up (`{prefix}N` and `{prefix}Np`): the
    kernel here has no dummy driver, and a live link keeps its subnet route usable. What is
    missing is made in one `ip -batch`, so a site with a thousand subnets costs three `ip` runs.
    """
    wanted = {f"{prefix}{index}": address for index, address in enumerate(addresses_by_index)}
    present, have = links(ns), all_addresses(ns)
    commands = [
        f"link delete {name}"  # takes its peer with it
        for name in present
        if name.startswith(prefix) and name[len(prefix) :].isdigit() and name not in wanted
    ]
    for name, address in wanted.items():
        if name not in present:
            commands.append(f"link add {name} type veth peer name {name}p")
        current = have.get(name, set())
        commands += [f"addr del {old} dev {name}" for old in sorted(current - {address})]
        if address not in current:
            commands.append(f"addr add {address} dev {name}")
        for dev in (f"{name}p", name):
            if "UP" not in present.get(dev, {}).get("flags", []):
                commands.append(f"link set {dev} up")
    batch(ns, commands)


def batch(ns: str, commands: list[str], timeout: float = 120.0) -> None:
    """Run `ip` commands (without the leading "ip") in one process; stops at the first error."""
    if not commands:
        return
    argv = ["ip", *(("-n", ns) if ns else ()), "-batch", "-"]
    done = subprocess.run(
        argv,
        input="\n".join(commands) + "\n",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise DriverCommandError(f"ip -n {ns} -batch failed ({done.returncode}): {output}")


def all_addresses(ns: str) -> dict[str, set[str]]:
    """IPv4 addresses of every device of a namespace, as "address/prefixlen" by device."""
    shown = json.loads(ip(ns, "-j", "-4", "addr", "show") or "[]")
    return {
        link["ifname"]: {f"{info['local']}/{info['prefixlen']}" for info in link["addr_info"]}
        for link in shown
    }
