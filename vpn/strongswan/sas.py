"""What charon reports, made typed: `list-sas` parsing, connection state, log reasons.

The vici package yields one dict per IKE SA, `{ike_name: {...}}`, with bytes values, nested
`child-sas` keyed "<child name>-<unique id>" (so the child's own "name" field is the one to
read). Field names are those of strongSwan's VICI README (list-sa event).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from vpn.choices import ConnectionState
from vpn.strongswan.render import Child, children, conn_name
from vpn.strongswan.spec import ConnSpec

# IKE SA states in which the SA protects traffic (REKEYING: a rekey is under way, the SA
# still works). CHILD_SA states in which its SAs are installed in the data path; a child
# being rekeyed keeps carrying traffic, so a routine rekey does not flicker the indicator.
IKE_UP = frozenset({"ESTABLISHED", "REKEYING"})
IKE_GONE = frozenset({"DELETING", "DESTROYING"})
CHILD_UP = frozenset({"INSTALLED", "UPDATING", "REKEYING", "REKEYED"})


@dataclass(frozen=True)
class ChildSa:
    name: str
    uniqueid: int
    state: str
    local_ts: tuple[str, ...] = ()
    remote_ts: tuple[str, ...] = ()
    bytes_in: int = 0
    bytes_out: int = 0
    packets_in: int = 0
    packets_out: int = 0
    encr_alg: str = ""
    encr_keysize: int | None = None
    integ_alg: str = ""
    integ_keysize: int | None = None
    dh_group: str = ""
    install_seconds: int | None = None

    @property
    def algorithms(self) -> str:
        """E.g. "AES_CBC-256/HMAC_SHA2_256_128/MODP_2048" (the DH group only with PFS)."""
        return _join_algorithms(self.encr_alg, self.encr_keysize, self.integ_alg, self.dh_group)


@dataclass(frozen=True)
class IkeSa:
    name: str
    uniqueid: int
    state: str
    version: int | None = None
    established_seconds: int | None = None
    local_host: str = ""
    remote_host: str = ""
    local_id: str = ""
    remote_id: str = ""
    initiator: bool = False
    encr_alg: str = ""
    encr_keysize: int | None = None
    integ_alg: str = ""
    prf_alg: str = ""
    dh_group: str = ""
    # charon detected a NAT between the ends ("nat-local" or "nat-remote"); not "nat-fake",
    # which says only that charon encapsulates ESP in UDP as if behind one (forced
    # encapsulation, or the userspace kernel-libipsec datapath).
    nat: bool = False
    children: tuple[ChildSa, ...] = ()

    @property
    def algorithms(self) -> str:
        """E.g. "AES_CBC-256/HMAC_SHA2_256_128/MODP_2048"; AEAD shows its PRF instead."""
        second = self.integ_alg or self.prf_alg
        return _join_algorithms(self.encr_alg, self.encr_keysize, second, self.dh_group)


@dataclass(frozen=True)
class Observed:
    """A connection's state as derived from charon's SAs."""

    state: str
    reason: str
    established_seconds: int | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    packets_in: int = 0
    packets_out: int = 0
    ike_algorithms: str = ""
    esp_algorithms: str = ""
    ike_version: int | None = None
    nat_t: bool | None = None
    local_ts: str = ""
    remote_ts: str = ""

    def established_at(self, now: datetime) -> datetime | None:
        """When the IKE SA in use came up, given the current (aware) time."""
        if self.established_seconds is None:
            return None
        return now - timedelta(seconds=self.established_seconds)

    @property
    def negotiated(self) -> str:
        parts = []
        if self.ike_algorithms:
            parts.append(f"IKE {self.ike_algorithms}")
        if self.esp_algorithms:
            parts.append(f"ESP {self.esp_algorithms}")
        return ", ".join(parts)


# --- parsing -----------------------------------------------------------------------------


def parse_sas(messages: Iterable[Mapping[str, Any]]) -> list[IkeSa]:
    """All IKE SAs of a `list-sas` stream (each message is {ike_name: {...}})."""
    return [parse_ike_sa(name, data) for message in messages for name, data in message.items()]


def parse_ike_sa(name: str, data: Mapping[str, Any]) -> IkeSa:
    """One IKE SA; also fits the body of ike-updown/child-updown events."""
    child_sas = data.get("child-sas") or {}
    return IkeSa(
        name=name,
        uniqueid=_int(data.get("uniqueid")) or 0,
        state=_str(data.get("state")),
        version=_int(data.get("version")),
        established_seconds=_int(data.get("established")),
        local_host=_str(data.get("local-host")),
        remote_host=_str(data.get("remote-host")),
        local_id=_str(data.get("local-id")),
        remote_id=_str(data.get("remote-id")),
        initiator=_str(data.get("initiator")) == "yes",
        encr_alg=_str(data.get("encr-alg")),
        encr_keysize=_int(data.get("encr-keysize")),
        integ_alg=_str(data.get("integ-alg")),
        prf_alg=_str(data.get("prf-alg")),
        dh_group=_str(data.get("dh-group")),
        nat="yes" in (_str(data.get("nat-local")), _str(data.get("nat-remote"))),
        children=tuple(_parse_child(key, child) for key, child in child_sas.items()),
    )


def by_name(sas: Iterable[IkeSa]) -> dict[str, list[IkeSa]]:
    """IKE SAs grouped by their connection name (what `Actual.ike_sas` holds)."""
    grouped: dict[str, list[IkeSa]] = {}
    for sa in sas:
        grouped.setdefault(sa.name, []).append(sa)
    return grouped


def _parse_child(key: str, data: Mapping[str, Any]) -> ChildSa:
    return ChildSa(
        name=_str(data.get("name")) or key,
        uniqueid=_int(data.get("uniqueid")) or 0,
        state=_str(data.get("state")),
        local_ts=tuple(_str(ts) for ts in data.get("local-ts") or ()),
        remote_ts=tuple(_str(ts) for ts in data.get("remote-ts") or ()),
        bytes_in=_int(data.get("bytes-in")) or 0,
        bytes_out=_int(data.get("bytes-out")) or 0,
        packets_in=_int(data.get("packets-in")) or 0,
        packets_out=_int(data.get("packets-out")) or 0,
        encr_alg=_str(data.get("encr-alg")),
        encr_keysize=_int(data.get("encr-keysize")),
        integ_alg=_str(data.get("integ-alg")),
        integ_keysize=_int(data.get("integ-keysize")),
        dh_group=_str(data.get("dh-group")),
        install_seconds=_int(data.get("install-time")),
    )


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def _int(value: Any) -> int | None:
    text = _str(value)
    return int(text) if text.isdigit() else None


def _join_algorithms(encr: str, keysize: int | None, second: str, dh: str) -> str:
    first = f"{encr}-{keysize}" if encr and keysize else encr
    return "/".join(part for part in (first, second, dh) if part)


# --- state -------------------------------------------------------------------------------


def derive_state(spec: ConnSpec, sas: Iterable[IkeSa]) -> Observed:
    """The connection's state from its IKE SAs (SAs of other connections are ignored).

    Connected: an IKE SA is up and every expected child is installed with the expected
    selectors (local ⊇ the VPC CIDRs, remote = the remote CIDRs). Error: a child is up but
    with other networks than configured (a persistent mismatch the tenant has to fix).
    Connecting: IKE is being negotiated, or is up while children are still missing.
    Disconnected: nothing else. Several IKE SAs (rekey overlap, both ends initiating) are
    read together; counters are summed over every child of the connection.
    """
    mine = [sa for sa in sas if sa.name == conn_name(spec.connection_id)]
    live = [sa for sa in mine if sa.state not in IKE_GONE]
    up = sorted(
        (sa for sa in live if sa.state in IKE_UP),
        key=lambda sa: (sa.state != "ESTABLISHED", sa.established_seconds or 0),
    )
    all_children = [child for sa in live for child in sa.children]
    if not up:
        if live:
            reason = f"Negotiating the IKE SA with {spec.peer_ip}."
            return _observed(ConnectionState.CONNECTING, reason, all_children)
        return _observed(ConnectionState.DISCONNECTED, _down_reason(spec), all_children)

    current = up[0]  # the newest fully established IKE SA is the one in use
    up_children = [child for sa in up for child in sa.children if child.state in CHILD_UP]
    matched, wrong, missing = [], [], []
    for expected in children(spec):
        candidates = [c for c in up_children if c.name == expected.name]
        good = [c for c in candidates if _selectors_match(expected, c)]
        if good:
            matched.append(min(good, key=lambda c: c.install_seconds or 0))
        elif candidates:
            wrong.append((expected, candidates[0]))
        else:
            missing.append(expected)
    esp_algorithms = matched[0].algorithms if matched else ""
    if wrong:
        expected, child = wrong[0]
        reason = (
            f"The tunnel came up with other networks than configured: "
            f"{_ts(child.local_ts)} ↔ {_ts(child.remote_ts)}, expected "
            f"{_ts(expected.local_ts)} ↔ {_ts(expected.remote_ts)}. "
            f"Make the networks on your device match."
        )
        return _observed(ConnectionState.ERROR, reason, all_children, current, esp_algorithms)
    if missing:
        names = ", ".join(child.name for child in missing)
        reason = f"IKE SA established with {spec.peer_ip}; waiting for tunnel {names}."
        return _observed(ConnectionState.CONNECTING, reason, all_children, current, esp_algorithms)
    reason = f"Connected to {spec.peer_ip}."
    return _observed(
        ConnectionState.CONNECTED, reason, all_children, current, esp_algorithms, matched
    )


def _observed(
    state: str,
    reason: str,
    child_sas: Sequence[ChildSa],
    ike_sa: IkeSa | None = None,
    esp_algorithms: str = "",
    in_use: Sequence[ChildSa] = (),
) -> Observed:
    """The state with the counters summed over ``child_sas``, the IKE SA in use if one is up,
    and the traffic selectors of the children in use."""
    return Observed(
        state,
        reason,
        established_seconds=ike_sa.established_seconds if ike_sa is not None else None,
        bytes_in=sum(c.bytes_in for c in child_sas),
        bytes_out=sum(c.bytes_out for c in child_sas),
        packets_in=sum(c.packets_in for c in child_sas),
        packets_out=sum(c.packets_out for c in child_sas),
        ike_algorithms=ike_sa.algorithms if ike_sa is not None else "",
        esp_algorithms=esp_algorithms,
        ike_version=ike_sa.version if ike_sa is not None else None,
        nat_t=ike_sa.nat if ike_sa is not None else None,
        local_ts=", ".join(ts for child in in_use for ts in child.local_ts),
        remote_ts=", ".join(ts for child in in_use for ts in child.remote_ts),
    )


def _down_reason(spec: ConnSpec) -> str:
    if spec.passive:
        return f"Waiting for your device at {spec.peer_ip} to connect (this side only responds)."
    return f"No IKE SA with {spec.peer_ip}."


def _selectors_match(expected: Child, child: ChildSa) -> bool:
    local = _networks(child.local_ts)
    remote = _networks(child.remote_ts)
    if local is None or remote is None:
        return False
    wanted_local = _networks(expected.local_ts) or []
    covered = all(any(_subnet_of(net, have) for have in local) for net in wanted_local)
    return covered and remote == _networks(expected.remote_ts)


def _subnet_of(net: IPv4Network | IPv6Network, other: IPv4Network | IPv6Network) -> bool:
    """``net.subnet_of(other)``, which raises TypeError across families."""
    if isinstance(net, IPv4Network) and isinstance(other, IPv4Network):
        return net.subnet_of(other)
    if isinstance(net, IPv6Network) and isinstance(other, IPv6Network):
        return net.subnet_of(other)
    raise TypeError(f"{net} and {other} are not of the same version")


def _networks(selectors: Iterable[str]) -> list[IPv4Network] | list[IPv6Network] | None:
    """Selectors ("10.0.0.0/16", "10.0.0.1..10.0.0.9", with an optional "[proto/port]") as
    collapsed networks of one family; None if one cannot be read."""
    nets: list[IPv4Network | IPv6Network] = []
    try:
        for selector in selectors:
            address = selector.split("[", 1)[0].strip()
            if ".." in address:
                first, last = address.split("..", 1)
                nets.extend(
                    ipaddress.summarize_address_range(
                        ipaddress.ip_address(first), ipaddress.ip_address(last)
                    )
                )
            else:
                nets.append(ipaddress.ip_network(address, strict=False))
        v4 = [net for net in nets if isinstance(net, IPv4Network)]
        v6 = [net for net in nets if isinstance(net, IPv6Network)]
        if v4 and v6:
            return None  # two families do not collapse together
        if v6:
            return sorted(ipaddress.collapse_addresses(v6))
        return sorted(ipaddress.collapse_addresses(v4))
    except (TypeError, ValueError):
        return None


def _ts(selectors: Iterable[str]) -> str:
    return ", ".join(selectors) or "nothing"


# --- reasons from charon's log -------------------------------------------------------------

# Authentication, by what each line proves. Our own check of the device's key failed (charon
# found a key for the two identities, so they matched): the key. IKEv1 Main Mode encrypts the
# identities under the key, so a wrong key shows as payloads that do not decrypt.
_AUTH_PSK = re.compile(
    r"MAC mismatched|authentication of .* failed|decryption failed\?|could not decrypt payloads"
)
# We responded and found no connection for the identities the device sent, or no key for
# them: the identities (the key was never tried). charon names both in the line before:
# "looking for peer configs matching <ours addr>[<id it asked of us>]...<addr>[<its id>]".
_AUTH_ID = re.compile(r"no shared key found for '([^']*)' - '([^']*)'|no matching peer config")
PEER_CONFIGS = re.compile(r"looking for peer configs matching \S+?\[(.*?)\]\.\.\.(\S+?)\[(.*?)\]$")
# The device refused our authentication (AUTHENTICATION_FAILED notify): its log alone says
# whether the key or the identities differ.
_AUTH_REFUSED = re.compile(r"AUTHENTICATION_FAILED")
# Identities as a message shows them; state_reason holds 255 characters.
_SHOWN_ID = 40
_NO_CONFIG = re.compile(r"no IKE config found for (\S+?)\.\.\.(\S+?),")
_PROPOSAL = re.compile(
    r"NO_PROPOSAL_CHOSEN|no acceptable proposal|received proposals unacceptable"
    r"|no proposal found"
)
_RECEIVED_PROPOSALS = re.compile(r"received proposals: (.+)$")
_CONFIGURED_PROPOSALS = re.compile(r"configured proposals: (.+)$")
_TS = re.compile(
    r"TS_UNACCEPTABLE|INVALID_ID_INFORMATION|traffic selectors (.+) unacceptable"
    r"|no matching CHILD_SA config"
)
_TIMEOUT = re.compile(r"giving up after \d+ retransmits|peer not responding")


def reason_from_log(lines: Iterable[str], spec: ConnSpec | None = None) -> str | None:
    """A tenant-readable sentence for why a negotiation failed, from charon log lines
    (file log or VICI control-log `msg`s); None when the lines show no known failure.
    With the connection's `spec`, an authentication failure names the identities we sent
    and expected.

    Causes are checked from the most specific to the least: a wrong key with IKEv1 also
    ends in "peer not responding", and a missing config is answered with NO_PROPOSAL_CHOSEN.
    An authentication failure names the cause the log proves (our check of the key, or no
    config for the device's identity); when the device refused us, both possible causes.
    """
    lines = [line.rstrip() for line in lines]
    if any(_AUTH_PSK.search(line) for line in lines):
        return (
            "Authentication failed: the pre-shared key on your device does not match "
            "this connection's key (the identities matched)."
        )
    if hit := _last(_AUTH_ID, lines):
        return _identity_mismatch(hit, lines, spec)
    if _last(_AUTH_REFUSED, lines):
        expected = ""
        if spec is not None:
            ours, theirs = _shown(spec.local_identity[1]), _shown(spec.remote_identity[1])
            expected = f": we sent {ours} as ours and asked for {theirs} as your device's"
        return (
            "Authentication failed: your device refused it. Either its pre-shared key differs "
            f"from this connection's, or it does not accept the identities{expected}."
        )
    if hit := _last(_NO_CONFIG, lines):
        return (
            f"No connection here matches {hit.group(1)} ↔ {hit.group(2)}: check the "
            f"gateway and device addresses on your device."
        )
    if _last(_PROPOSAL, lines):
        received = _last(_RECEIVED_PROPOSALS, lines)
        configured = _last(_CONFIGURED_PROPOSALS, lines)
        detail = ""
        if received and configured:
            detail = (
                f" Your device proposed {received.group(1)}; this connection "
                f"accepts {configured.group(1)}."
            )
        return (
            "No common algorithms: the IKE or ESP policy (encryption, integrity, DH/PFS "
            f"group) differs between the two sides.{detail}"
        )
    if hit := _last(_TS, lines):
        detail = f" (proposed: {hit.group(1)})" if hit.group(1) else ""
        return (
            "The networks do not match: the remote and local CIDRs on your device must "
            f"mirror this connection's{detail}."
        )
    if _last(_TIMEOUT, lines):
        return (
            "Your device does not answer: check its public IP address and that it accepts "
            "IKE on UDP ports 500 and 4500."
        )
    return None


# The patterns that name a cause. A timeout is left out: it is the weakest evidence (a wrong
# key with IKEv1 also ends in "peer not responding") and only a negotiation's whole log can
# weigh it against the lines before it, as reason_from_log does.
_FAILURES = (_AUTH_PSK, _AUTH_ID, _AUTH_REFUSED, _NO_CONFIG, _PROPOSAL, _TS)


def is_failure_log(text: str) -> bool:
    """Whether one charon log line explains, on its own, why a negotiation failed: what the
    event monitor turns into an Error at once (the reason: reason_from_log of the connection's
    recent lines, so that a cause another line proved is not lost)."""
    return any(pattern.search(text) for pattern in _FAILURES)


def _identity_mismatch(hit: re.Match[str], lines: list[str], spec: ConnSpec | None) -> str:
    """We found no config, or no key, for the identities the device sent."""
    sent = asked = ""
    if hit.group(2):  # no shared key found for '<ours>' - '<the device's>'
        asked, sent = hit.group(1), hit.group(2)
    elif configs := _last(PEER_CONFIGS, lines):
        asked, sent = configs.group(1), configs.group(3)
    told = ""
    if sent:
        told = f" Your device identified itself as {_shown(sent)}"
        told += f" and asked for {_shown(asked)}." if asked and asked != "%any" else "."
    expected = ""
    if spec is not None:
        ours, theirs = _shown(spec.local_identity[1]), _shown(spec.remote_identity[1])
        expected = f" This connection expects {theirs} and is {ours}."
    return f"Authentication failed: the identities do not match (not the key).{told}{expected}"


def _shown(identity: str) -> str:
    return identity if len(identity) <= _SHOWN_ID else identity[: _SHOWN_ID - 1] + "…"


def _last(pattern: re.Pattern[str], lines: list[str]) -> re.Match[str] | None:
    for line in reversed(lines):
        if hit := pattern.search(line):
            return hit
    return None
