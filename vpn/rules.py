"""The rules of customer gateways and VPN connections, in one place.

The models' ``clean_fields()``/``clean()`` call these, so the tenant's forms, the admin site and
the actions (and later an API) pass the same gate. They read only the objects they are given and
those objects' related rows (``gateway.connections``), never the model classes, so the models can
call them without an import cycle. Connection rules return (field, message) pairs so that each
caller can show a message next to the field it belongs to.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from network import addressing
from network.models import PublicIp

if TYPE_CHECKING:
    from vpn.models import CustomerGateway, VpnGateway

Problem = tuple[str | None, str]

PSK_FORBIDDEN = set("'\"\\\n\r")
PSK_ALLOWED = set(string.printable) - set(string.whitespace) | {" "}


def validate_psk(value: str) -> None:
    """8 to 64 printable ASCII characters that survive every device configuration we render."""
    if not 8 <= len(value) <= 64:
        raise ValidationError(_("The pre-shared key must be 8 to 64 characters long."))
    if any(c in PSK_FORBIDDEN or c not in PSK_ALLOWED for c in value):
        raise ValidationError(
            _(
                "The pre-shared key may hold printable ASCII only, without quotes, "
                "backslash or line breaks (they break device configurations)."
            )
        )


# Generated keys use letters and digits only: the one set every device of issue 13's list takes
# as typed, unquoted. Cisco IOS/ASA read "?" as a help request and a space as the end of the
# key; FortiOS and Junos want quotes around anything else on their CLIs; MikroTik scripts
# expand "$" and need a backslash escaped; AWS allows only letters, digits, "." and "_" in its
# own keys. A letter first: strongSwan reads a key starting "0x"/"0s" as hex/base64 unless it
# is written with care, and AWS refuses keys starting with "0". 40 of 62 characters: 238 bits.
GENERATED_PSK_LENGTH = 40
_PSK_ALPHABET = string.ascii_letters + string.digits


def generate_psk() -> str:
    """A new random pre-shared key (``secrets``) that validate_psk() accepts."""
    first = secrets.choice(string.ascii_letters)
    return first + "".join(secrets.choice(_PSK_ALPHABET) for _ in range(GENERATED_PSK_LENGTH - 1))


def public_gateway_ip(value: str) -> str:
    """The customer's device address, normalised: public IPv4, and none of this cloud's own."""
    address = str(addressing.public_address(value))
    if PublicIp.objects.filter(address=address).exists():
        raise ValidationError(
            _("%(ip)s is one of this cloud's own public addresses, not your device's.")
            % {"ip": address}
        )
    return address


def remote_cidr_list(value: str) -> str:
    """The networks behind the device, normalised to "a/n, b/m": at least one, at most
    MAX_REMOTE_CIDRS, each a network address, none overlapping another."""
    items = addressing.split_cidrs(value)
    if not items:
        raise ValidationError(_("Enter at least one remote network."))
    limit = settings.PORTAL["MAX_REMOTE_CIDRS"]
    if len(items) > limit:
        raise ValidationError(_("At most %(n)d remote networks.") % {"n": limit})
    networks = [addressing.parse_network(item) for item in items]
    overlap = addressing.first_overlap(networks)
    if overlap:
        raise ValidationError(_("%(a)s and %(b)s overlap.") % {"a": overlap[0], "b": overlap[1]})
    return ", ".join(str(n) for n in networks)


# IKE identities (swanctl.conf `id`). A value is written into our router's load-conn and into
# every device file, most of them unquoted on a command line: only characters that no format
# reads as syntax (no spaces, quotes, commas, "#", braces, backslash or line breaks).
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# The local part: what every device of issue 13's list writes unquoted (no "$", "?", "!"...).
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._+=-]{1,64}")
KEYID_ALLOWED = frozenset(string.ascii_letters + string.digits + ".-_@:+=/")
IDENTITY_MAX = 255


def identity(kind: str, value: str) -> str:
    """An identity of type ``kind`` (vpn.choices.IdentityType values), normalised.

    Empty means the public IP of that side (the type must then be "ip"). ip: an IPv4 or IPv6
    literal. fqdn: a DNS name; a leading "@" (strongSwan's way to write an FQDN identity, as in
    its published examples) is dropped, as is a trailing dot. email: user@domain. keyid:
    letters, digits and . - _ @ : + = / (an opaque string; strongSwan sends it as written).
    """
    value = (value or "").strip()
    if not value:
        if kind != "ip":
            raise ValidationError(
                _("Enter the identity, or choose IP address to use the public IP.")
            )
        return ""
    if len(value) > IDENTITY_MAX:
        raise ValidationError(_("At most %(n)d characters.") % {"n": IDENTITY_MAX})
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValidationError(
                _("%(value)s is not an IP address.%(hint)s")
                % {"value": _shown(value), "hint": _type_hint(value)}
            ) from None
    if kind == "fqdn":
        name = value.removeprefix("@").removesuffix(".")
        if not _is_dns_name(name) or _is_ip(name):
            raise ValidationError(
                _("%(value)s is not a domain name (e.g. vpn.example.com).%(hint)s")
                % {"value": _shown(value), "hint": _type_hint(value)}
            )
        return name
    if kind == "email":
        local, at, domain = value.rpartition("@")
        if not (at and _EMAIL_LOCAL.fullmatch(local) and _is_dns_name(domain)):
            raise ValidationError(
                _("%(value)s is not an email address (user@example.com).%(hint)s")
                % {"value": _shown(value), "hint": _type_hint(value)}
            )
        return value
    if kind == "keyid":
        if not set(value) <= KEYID_ALLOWED:
            raise ValidationError(_("A key ID may hold letters, digits and . - _ @ : + = / only."))
        return value
    raise ValidationError(_("Unknown identity type %(kind)s.") % {"kind": _shown(kind)})


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_dns_name(name: str) -> bool:
    labels = name.split(".")
    return len(name) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in labels)


def _type_hint(value: str) -> str:
    """ " Choose <type> for it." when the value reads as another identity type."""
    if _is_ip(value):
        return " " + _("Choose IP address for it.")
    local, at, domain = value.rpartition("@")
    if at and local and _EMAIL_LOCAL.fullmatch(local) and _is_dns_name(domain):
        return " " + _("Choose Email address for it.")
    if _is_dns_name(value.removeprefix("@").removesuffix(".")) and "." in value:
        return " " + _("Choose Domain name (FQDN) for it.")
    return ""


def _shown(value: str) -> str:
    """A value quoted for a message, printable and short."""
    printable = "".join(c if c.isprintable() else "?" for c in value)
    return f'"{printable[:64]}"'


def connection_problems(
    gateway: VpnGateway,
    customer_gateway: CustomerGateway,
    *,
    exclude_connection: int | None = None,
    counting: bool = True,
) -> list[Problem]:
    """Everything wrong with connecting ``customer_gateway`` (with its current, possibly unsaved,
    IP and CIDRs) to ``gateway``. ``exclude_connection`` is the connection being checked itself;
    ``counting`` checks the per-gateway limit (only when adding)."""
    if gateway.vpc.account_id != customer_gateway.account_id:
        # Nothing else is worth saying: the two ends must belong to one account.
        return [("customer_gateway", _("This customer gateway belongs to another account."))]
    remote = [ipaddress.IPv4Network(c) for c in customer_gateway.cidrs]
    peer_ip = customer_gateway.gateway_ip
    vpc_net = ipaddress.IPv4Network(gateway.vpc.cidr)
    problems: list[Problem] = []
    for net in remote:
        if net.overlaps(vpc_net):
            problems.append(
                (
                    "cidr_list",
                    _("Remote network %(net)s overlaps the VPC CIDR %(vpc)s.")
                    % {"net": net, "vpc": vpc_net},
                )
            )
    if peer_ip == gateway.public_ip:
        problems.append(
            (
                "gateway_ip",
                _("The customer gateway's IP %(ip)s is this VPN gateway's own address.")
                % {"ip": peer_ip},
            )
        )
    connections = gateway.connections.all()
    if exclude_connection is not None:
        connections = connections.exclude(pk=exclude_connection)
    others = (
        connections.exclude(customer_gateway_id=customer_gateway.pk)
        # Only the few that may clash (all of them where the database cannot say which).
        .sharing_addresses([str(net) for net in remote], peer_ip)
        .select_related("customer_gateway")
    )
    for other in others:
        ocg = other.customer_gateway
        if ocg.gateway_ip == peer_ip:
            problems.append(
                (
                    "gateway_ip",
                    _(
                        "Customer gateway %(name)s with the same IP %(ip)s is "
                        "already connected to this VPN gateway."
                    )
                    % {"name": ocg.name, "ip": peer_ip},
                )
            )
        other_networks = addressing.stored_networks(ocg.cidr_list)
        for net in remote:
            for other_cidr in other_networks:
                if net.overlaps(other_cidr):
                    problems.append(
                        (
                            "cidr_list",
                            _(
                                "Remote network %(net)s overlaps %(other)s of customer gateway "
                                "%(name)s, "
                                "already connected to this VPN gateway."
                            )
                            % {"net": net, "other": other_cidr, "name": ocg.name},
                        )
                    )
    if counting:
        limit = settings.PORTAL["MAX_CONNECTIONS_PER_GATEWAY"]
        # Whether there are `limit` already, reading no more than that many.
        if limit < 1 or connections.order_by()[limit - 1 :].exists():
            problems.append(
                (
                    None,
                    _("This VPN gateway already has the maximum of %(n)d connections.")
                    % {"n": limit},
                )
            )
    return problems


def as_errors(
    problems: Iterable[Problem], field_map: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Problems as a ValidationError's dict, their fields renamed by ``field_map``."""
    field_map = field_map or {}
    errors: dict[str, list[str]] = {}
    for field, message in problems:
        key = field_map.get(field, field) if field else NON_FIELD_ERRORS
        errors.setdefault(key, []).append(message)
    return errors
