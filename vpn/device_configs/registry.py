"""Every device we write a configuration file for: vendor, platform, the software version where
the syntax changes, the file name suffix, its template and the function that turns a ConnSpec
into the template's words (raising common.DeviceRefused where the device cannot follow)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vpn.device_configs import (
    cisco,
    deciso,
    fortinet,
    juniper,
    libreswan,
    mikrotik,
    netgate,
    paloalto,
    strongswan,
    vyos,
)
from vpn.strongswan.spec import ConnSpec


@dataclass(frozen=True)
class Device:
    key: str
    vendor: str
    platform: str
    version: str
    suffix: str  # the downloaded file is vpn-<id>-<suffix>
    template: str
    context: Callable[[ConnSpec], dict[str, Any]]
    comment: str = "#"  # how a line of the header starts
    fill_in: tuple[str, ...] = ()  # what the tenant must still fill in

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.vendor, self.platform, self.version) if part)


_OUTSIDE = "<OUTSIDE-INTERFACE>: the interface holding this device's public address"
DEVICES: dict[str, Device] = {
    device.key: device
    for device in (
        Device(
            "strongswan",
            "strongSwan",
            "swanctl.conf",
            "5.8 and later",
            "swanctl.conf",
            "strongswan.swanctl.conf.j2",
            strongswan.swanctl_conf,
        ),
        Device(
            "strongswan-ipsec",
            "strongSwan",
            "ipsec.conf (starter)",
            "5.x",
            "ipsec.conf",
            "strongswan.ipsec.conf.j2",
            strongswan.ipsec_conf,
            fill_in=("nothing: copy the secrets line into /etc/ipsec.secrets",),
        ),
        Device(
            "libreswan",
            "Libreswan",
            "ipsec.conf",
            "4.x",
            "libreswan.conf",
            "libreswan.ipsec.conf.j2",
            libreswan.context,
            fill_in=("nothing: copy the secrets line into /etc/ipsec.d/*.secrets",),
        ),
        Device(
            "cisco-ios",
            "Cisco",
            "IOS / IOS XE, policy-based (crypto map)",
            "15.x, 16.x, 17.x",
            "cisco-ios.txt",
            "cisco.ios.j2",
            cisco.ios,
            comment="!",
            fill_in=(_OUTSIDE,),
        ),
        Device(
            "cisco-ios-vti",
            "Cisco",
            "IOS XE, route-based (multi-SA VTI)",
            "16.12 and later",
            "cisco-ios-vti.txt",
            "cisco.ios-vti.j2",
            cisco.ios_vti,
            comment="!",
            fill_in=(_OUTSIDE, "<TUNNEL-NUMBER>: a free tunnel interface number"),
        ),
        Device(
            "cisco-asa",
            "Cisco",
            "ASA",
            "9.x",
            "cisco-asa.txt",
            "cisco.asa.j2",
            cisco.asa,
            comment="!",
            fill_in=(_OUTSIDE + " (its nameif, e.g. outside)",),
        ),
        Device(
            "juniper-srx",
            "Juniper",
            "SRX (Junos OS)",
            "15.1X49-D100 and later",
            "junos.set",
            "juniper.srx.set.j2",
            juniper.context,
            fill_in=(
                "<EXTERNAL-INTERFACE>: the interface holding this device's public address",
                "<TUNNEL-UNIT>: a free st0 unit number",
                "<VPN-ZONE>: the security zone of the tunnel",
            ),
        ),
        Device(
            "fortigate",
            "Fortinet",
            "FortiGate (FortiOS)",
            "7.x",
            "fortigate.conf",
            "fortinet.fortigate.conf.j2",
            fortinet.context,
            fill_in=(
                "<WAN-INTERFACE>: the interface holding this device's public address",
                "firewall policies between your LAN and the tunnel",
            ),
        ),
        Device(
            "paloalto",
            "Palo Alto Networks",
            "PAN-OS",
            "10.x, 11.x",
            "panos.set",
            "paloalto.panos.set.j2",
            paloalto.context,
            fill_in=(
                "<EXTERNAL-INTERFACE>: the interface holding this device's public address",
                "<LOCAL-ADDRESS>: that address as set on the interface (e.g. 203.0.113.20/24) "
                "or its address object",
                "<TUNNEL-INTERFACE>: a free tunnel interface (e.g. tunnel.1), in a zone",
                "<VIRTUAL-ROUTER>: the virtual router to route the VPC through the tunnel",
            ),
        ),
        Device(
            "pfsense",
            "Netgate",
            "pfSense",
            "2.7 (CE) / Plus 23.x",
            "pfsense.txt",
            "netgate.pfsense.txt.j2",
            netgate.context,
            fill_in=("<WAN-INTERFACE>: the interface holding this device's public address",),
        ),
        Device(
            "opnsense",
            "Deciso",
            "OPNsense",
            "24.x",
            "opnsense.txt",
            "deciso.opnsense.txt.j2",
            deciso.context,
            fill_in=("firewall rules allowing the VPC's networks on the IPsec interface",),
        ),
        Device(
            "mikrotik",
            "MikroTik",
            "RouterOS",
            "7.x",
            "routeros.rsc",
            "mikrotik.routeros.rsc.j2",
            mikrotik.context,
            fill_in=("firewall and src-nat exemptions for the tunnel's traffic",),
        ),
        Device(
            "vyos",
            "VyOS",
            "",
            "1.4",
            "vyos.set",
            "vyos.set.j2",
            vyos.context,
            fill_in=("<WAN-INTERFACE>: the interface holding this device's public address",),
        ),
    )
}
