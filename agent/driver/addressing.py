"""Names and addresses the driver accepts: checked before anything is built."""

import ipaddress
import re
from collections.abc import Callable
from typing import TypeVar

from agent.driver.errors import InvalidNode

# The documentation ranges (RFC 5737), and the benchmarking range 198.18.0.0/15 (RFC 2544):
# reserved, never routed on the internet, and large enough for `make bench`'s 1,000 customer
# gateways behind one site (the three /24s hold only 762 hosts).
PUBLIC_RANGES = tuple(
    ipaddress.IPv4Network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")
)
PUBLIC_ROUTES = tuple(str(net) for net in PUBLIC_RANGES)
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")

T = TypeVar("T")


def check_prefix(prefix: str) -> None:
    if not PREFIX_RE.match(prefix):
        raise InvalidNode(f"namespace prefix {prefix!r} must match {PREFIX_RE.pattern}")


def check_name(name: str) -> None:
    if not NAME_RE.match(name) or name == "inet":
        raise InvalidNode(f"node name {name!r} must match {NAME_RE.pattern} and not be 'inet'")


def public_addresses(
    name: str, addresses: list[str], allowed: tuple[ipaddress.IPv4Network, ...] | None = None
) -> list[str]:
    """The node's public addresses, each checked to lie in `allowed` (when given)."""
    if not addresses:
        raise InvalidNode(f"node {name} needs at least one public address")
    result = []
    for text in addresses:
        address = _parse(ipaddress.IPv4Address, text)
        if allowed is not None and not any(address in net for net in allowed):
            ranges = ", ".join(str(net) for net in allowed)
            raise InvalidNode(f"public address {address} is not in {ranges}")
        result.append(str(address))
    return result


def inside_addresses(pairs: list[tuple[str, str]]) -> list[str]:
    """(cidr, address) pairs as "address/prefixlen", each address inside its private cidr."""
    result = []
    for cidr, address in pairs:
        net = _parse(ipaddress.IPv4Network, cidr)
        host = _parse(ipaddress.IPv4Address, address)
        if host not in net or not any(net.subnet_of(private) for private in PRIVATE_RANGES):
            raise InvalidNode(f"{host} must be an address inside the private network {net}")
        result.append(f"{host}/{net.prefixlen}")
    return result


def _parse(kind: Callable[[str], T], text: object) -> T:
    try:
        return kind(str(text))
    except ValueError as error:
        raise InvalidNode(f"IPv4 addresses and networks only: {error}") from None
