"""The webhook channel: which URLs a tenant may name, the signature, and one POST.

A webhook URL makes the portal's worker open a connection the tenant chose, so it is the classic
server-side request forgery door: a URL naming the cloud's metadata service (169.254.169.254),
the database or Redis on a private address, or the portal itself on loopback would let a tenant
probe or poke the inside. So a URL must be https and every address its host resolves to must be
a public one; the check runs when the settings are saved and again before every POST, and the
POST connects to the very address that was checked (no second lookup that DNS could answer
differently). Loopback is allowed, over http too, only with PORTAL_ALERT_ALLOW_LOOPBACK (tests
and the demo, whose receiver runs on the same machine). Redirects are never followed: a 3xx is a
failed attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-S2S-Signature"
TIMESTAMP_HEADER = "X-S2S-Timestamp"
DELIVERY_HEADER = "X-S2S-Delivery"
TIMEOUT_SECONDS = 10
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the address that was vetted) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 over "<timestamp>.<body>" (the timestamp in
    the signed text, so a receiver that refuses old timestamps cannot be replayed to)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """What a receiver does (and the tests do): compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _refusal(address: IPAddress) -> str:
    """Why an address may not be called, or "" when it may."""
    if address.is_loopback:
        return "" if settings.PORTAL_ALERT_ALLOW_LOOPBACK else _("a loopback address")
    if address.is_link_local:
        return _("a link-local address (such as a cloud metadata service)")
    if address.is_private:
        return _("a private address")
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return _("a reserved address")
    return ""


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s cannot be resolved.") % {"host": host}, code="unresolvable"
        ) from None
    # Scope ids ("fe80::1%eth0") are dropped: the address alone decides.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check(url: str) -> Target:
    """The URL's target when a webhook may be sent to it; ValidationError saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(_("Enter a valid URL."), code="invalid") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(_("A webhook URL starts with https://."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(_("A webhook URL carries no user or password."), code="userinfo")
    addresses = _resolve(host, port or 443)
    refusals = {why for why in map(_refusal, addresses) if why}
    if refusals:
        raise ValidationError(
            _("The webhook cannot be sent to %(host)s: it is %(why)s.")
            % {"host": host, "why": ", ".join(sorted(refusals))},
            code="address",
        )
    if parts.scheme == "http" and not all(address.is_loopback for address in addresses):
        raise ValidationError(_("A webhook URL starts with https://."), code="scheme")
    default_port = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or default_port, path, str(addresses[0]))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to the vetted address, with the certificate checked for the host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, body: bytes, headers: dict[str, str]) -> None:
    """POST `body` to a checked target once; raises OSError saying why it failed (no answer,
    or a status other than 2xx: a redirect too)."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, TIMEOUT_SECONDS)
    else:
        connection = _PinnedHTTPConnection(target, TIMEOUT_SECONDS)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": "s2s-alerts", **headers},
        )
        response = connection.getresponse()
        response.read(64 * 1024)
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise OSError(f"HTTP {response.status} {response.reason}".strip())
