"""What one VPN connection should look like on our router, free of Django models."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConnSpec:
    """One VPN connection as the control plane needs it; built from the database rows.

    `gateway_ip` is our side (the VPC router's source NAT IP), `peer_ip` the customer gateway.
    Algorithm fields hold `vpn.choices` values; lifetimes and DPD times are seconds.
    """

    connection_id: int
    gateway_ip: str
    local_cidrs: tuple[str, ...]
    peer_ip: str
    remote_cidrs: tuple[str, ...]
    ike_version: str
    ike_encryption: str
    ike_integrity: str
    ike_dh: str
    esp_encryption: str
    esp_integrity: str
    esp_pfs: str
    ike_lifetime: int
    esp_lifetime: int
    dpd_enabled: bool
    dpd_delay: int
    dpd_timeout: int
    force_encap: bool
    split: bool
    passive: bool
    psk: str = field(repr=False)
