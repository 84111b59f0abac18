"""IPv4 address rules shared by forms, models and the VPN app. Pure functions, no database."""

import ipaddress
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


def parse_network(value: str) -> ipaddress.IPv4Network:
    """An IPv4 network written as address/prefix with no host bits set."""
    text = (value or "").strip()
    if "/" not in text:
        raise ValidationError(
            _("%(value)s is not a CIDR: write it as address/prefix, e.g. 10.1.0.0/16."),
            params={"value": text or _("(empty)")},
            code="cidr",
        )
    try:
        network = ipaddress.ip_network(text, strict=False)
        address = ipaddress.ip_address(text.split("/", 1)[0])
    except ValueError:
        raise ValidationError(
            _("%(value)s is not a valid IPv4 CIDR."), params={"value": text}, code="cidr"
        ) from None
    if network.version != 4:
        raise ValidationError(
            _("%(value)s is not IPv4; only IPv4 is supported."), params={"value": text}, code="cidr"
        )
    if network.network_address != address:
        raise ValidationError(
            _("%(value)s has host bits set; the network address is %(network)s."),
            params={"value": text, "network": network},
            code="host_bits",
        )
    return network


def is_private(network: ipaddress.IPv4Network) -> bool:
    return any(network.subnet_of(private) for private in PRIVATE_RANGES)


def private_network(value: str) -> ipaddress.IPv4Network:
    network = parse_network(value)
    if not is_private(network):
        raise ValidationError(
            _("%(value)s is not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."),
            params={"value": network},
            code="not_private",
        )
    return network


def first_overlap(
    networks: Iterable[ipaddress.IPv4Network],
) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network] | None:
    """The first pair of overlapping networks, or None."""
    seen: list[ipaddress.IPv4Network] = []
    for network in networks:
        for other in seen:
            if network.overlaps(other):
                return other, network
        seen.append(network)
    return None


def public_address(value: str) -> ipaddress.IPv4Address:
    """A globally routable unicast IPv4 address (documentation ranges allowed for labs)."""
    text = (value or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValidationError(
            _("%(value)s is not a valid IPv4 address."),
            params={"value": text or _("(empty)")},
            code="address",
        ) from None
    if address.version != 4:
        raise ValidationError(
            _("%(value)s is not IPv4; only IPv4 is supported."),
            params={"value": text},
            code="address",
        )
    problems = [
        (address.is_unspecified, _("an unspecified address")),
        (address.is_loopback, _("a loopback address")),
        (address.is_link_local, _("a link-local address")),
        (address.is_multicast, _("a multicast address")),
        (any(address in net for net in PRIVATE_RANGES), _("a private address")),
        (address in ipaddress.IPv4Network("100.64.0.0/10"), _("a shared (CGNAT) address")),
        (
            address.is_reserved or address == ipaddress.IPv4Address("255.255.255.255"),
            _("a reserved address"),
        ),
    ]
    for bad, what in problems:
        if bad:
            raise ValidationError(
                _("%(value)s is %(what)s; the gateway must be the device's public IPv4 address."),
                params={"value": text, "what": what},
                code="not_public",
            )
    return address


def split_cidrs(text: str) -> list[str]:
    """Split a comma- or newline-separated list of CIDRs, dropping blanks."""
    return [item.strip() for item in (text or "").replace("\n", ",").split(",") if item.strip()]


def stored_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of a stored CIDR list, in order, read leniently: a row from before the
    rules may hold an item with host bits set (its network counts) or one that does not
    parse (left out)."""
    found = []
    for item in split_cidrs(text):
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return found
