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
    # IKE identities (vpn.choices.IdentityType values); an empty value means the public IP of
    # that side (gateway_ip for ours, peer_ip for the device), as before identities existed.
    local_id_type: str = "ip"
    local_id: str = ""
    remote_id_type: str = "ip"
    remote_id: str = ""

    @property
    def local_identity(self) -> tuple[str, str]:
        """Our router's identity as (type, value), never empty."""
        return (self.local_id_type, self.local_id) if self.local_id else ("ip", self.gateway_ip)

    @property
    def remote_identity(self) -> tuple[str, str]:
        """The device's identity as (type, value), never empty."""
        return (self.remote_id_type, self.remote_id) if self.remote_id else ("ip", self.peer_ip)
