"""Choices of the VPN app: algorithms a tenant may pick, IKE versions, connection states.

Values are the words stored in the database; `vpn.policies` maps them to strongSwan's.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.badges import Badge


class IkeEncryption(models.TextChoices):
    """Encryption for the IKE SA and for ESP (the same list serves both)."""

    AES128 = "aes128", _("AES-128")
    AES192 = "aes192", _("AES-192")
    AES256 = "aes256", _("AES-256")
    AES128GCM16 = "aes128gcm16", _("AES-128-GCM (16-byte ICV)")
    AES256GCM16 = "aes256gcm16", _("AES-256-GCM (16-byte ICV)")
    TRIPLE_DES = "3des", _("3DES (legacy)")


class Integrity(models.TextChoices):
    SHA1 = "sha1", _("SHA-1")
    SHA256 = "sha256", _("SHA-256")
    SHA384 = "sha384", _("SHA-384")
    SHA512 = "sha512", _("SHA-512")


class DhGroup(models.TextChoices):
    MODP2048 = "modp2048", _("Group 14 (MODP 2048)")
    MODP3072 = "modp3072", _("Group 15 (MODP 3072)")
    MODP4096 = "modp4096", _("Group 16 (MODP 4096)")
    ECP256 = "ecp256", _("Group 19 (ECP 256)")
    ECP384 = "ecp384", _("Group 20 (ECP 384)")
    CURVE25519 = "curve25519", _("Group 31 (Curve25519)")
    MODP1024 = "modp1024", _("Group 2 (MODP 1024, legacy)")
    MODP1536 = "modp1536", _("Group 5 (MODP 1536, legacy)")


class PfsGroup(models.TextChoices):
    """Perfect forward secrecy for ESP: no extra exchange, or any DH group."""

    NONE = "none", _("None")
    MODP2048 = DhGroup.MODP2048.value, DhGroup.MODP2048.label
    MODP3072 = DhGroup.MODP3072.value, DhGroup.MODP3072.label
    MODP4096 = DhGroup.MODP4096.value, DhGroup.MODP4096.label
    ECP256 = DhGroup.ECP256.value, DhGroup.ECP256.label
    ECP384 = DhGroup.ECP384.value, DhGroup.ECP384.label
    CURVE25519 = DhGroup.CURVE25519.value, DhGroup.CURVE25519.label
    MODP1024 = DhGroup.MODP1024.value, DhGroup.MODP1024.label
    MODP1536 = DhGroup.MODP1536.value, DhGroup.MODP1536.label


class IkeVersion(models.TextChoices):
    IKEV2 = "ikev2", _("IKEv2")
    IKEV1 = "ikev1", _("IKEv1")
    ANY = "any", _("IKEv1 or IKEv2 when responding")


class IdentityType(models.TextChoices):
    """How an IKE peer names itself (swanctl.conf `id`): its IP address, a domain name, an email
    address or an opaque key id."""

    IP = "ip", _("IP address")
    FQDN = "fqdn", _("Domain name (FQDN)")
    EMAIL = "email", _("Email address")
    KEY_ID = "keyid", _("Key ID")


class CryptoKind(models.TextChoices):
    """What an operator's crypto rule is about. One rule covers a value wherever it is used:
    an encryption rule covers IKE and ESP, a group rule the IKE group and ESP's PFS group."""

    ENCRYPTION = "encryption", _("Encryption (IKE and ESP)")
    INTEGRITY = "integrity", _("Integrity (IKE and ESP)")
    DH_GROUP = "dh_group", _("Diffie-Hellman group (IKE and ESP PFS)")
    IKE_VERSION = "ike_version", _("IKE version")


class CryptoStatus(models.TextChoices):
    """An operator's verdict on one value: tenants may choose it, are warned, or are refused."""

    ALLOWED = "allowed", _("Allowed")
    DEPRECATED = "deprecated", _("Deprecated")
    FORBIDDEN = "forbidden", _("Forbidden")


class ConnectionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONNECTING = "connecting", _("Connecting")
    CONNECTED = "connected", _("Connected")
    DISCONNECTED = "disconnected", _("Disconnected")
    ERROR = "error", _("Error")


# The one badge of each connection state, for pages and admin alike (portal.badges).
STATE_STYLE: dict[str, Badge] = {
    ConnectionState.PENDING: Badge("info", "○"),
    ConnectionState.CONNECTING: Badge("warn", "◐"),
    ConnectionState.CONNECTED: Badge("ok", "●"),
    ConnectionState.DISCONNECTED: Badge("idle", "○"),
    ConnectionState.ERROR: Badge("bad", "✕"),
}


class EventKind(models.TextChoices):
    """What a connection's timeline records (vpn.models.ConnectionEvent)."""

    UP = "up", _("Up")
    DOWN = "down", _("Down")
    ERROR = "error", _("Error")
    NEGOTIATING = "negotiating", _("Negotiating")
    REKEY = "rekey", _("Rekeyed")
    RESET = "reset", _("Reset")
    CONFIGURED = "configured", _("Configuration pushed")
    ROUTER_RESTARTED = "router-restarted", _("Router restarted")
    CREATED = "created", _("Created")


# The timeline's word for a change into each state (the monitor's and the sweep's changes).
EVENT_OF_STATE: dict[str, str] = {
    ConnectionState.PENDING: EventKind.NEGOTIATING,
    ConnectionState.CONNECTING: EventKind.NEGOTIATING,
    ConnectionState.CONNECTED: EventKind.UP,
    ConnectionState.DISCONNECTED: EventKind.DOWN,
    ConnectionState.ERROR: EventKind.ERROR,
}
