"""One ConnSpec for the control plane's unit tests; each file changes what it is about."""

from dataclasses import replace

from vpn.strongswan.spec import ConnSpec

BASE = ConnSpec(
    connection_id=7,
    gateway_ip="198.51.100.10",
    local_cidrs=("10.1.0.0/16",),
    peer_ip="203.0.113.20",
    remote_cidrs=("192.168.10.0/24", "192.168.20.0/24"),
    ike_version="ikev2",
    ike_encryption="aes256",
    ike_integrity="sha256",
    ike_dh="modp2048",
    esp_encryption="aes256",
    esp_integrity="sha256",
    esp_pfs="modp2048",
    ike_lifetime=86400,
    esp_lifetime=3600,
    dpd_enabled=True,
    dpd_delay=10,
    dpd_timeout=30,
    force_encap=False,
    split=False,
    passive=False,
    psk="correct horse battery staple",
)


def make_spec(**changes: object) -> ConnSpec:
    return replace(BASE, **changes)  # type: ignore[arg-type]
