"""Namespace nodes on one host: each a network namespace with its own charon and VICI socket.

A network node's agent builds its VPC routers with a Host; the lab builds its customer sites with
another. Every kernel object carries the host's prefix: node ``name`` is the namespace
``{prefix}-{name}``, joined to the external bridge by a veth pair (``ext0`` inside the node,
``v<hash>`` on the bridge). The bridge lives in the namespace ``external_ns`` ("" is the root
namespace: a production node's ``br-ex``); with ``own_external`` the Host creates that namespace
and bridge itself (the lab's "internet"). What each node should be is written to
``{base_dir}/{name}/node.json`` before anything is built, so ``up()`` can rebuild or restart
whatever a crash or a reboot took away.
"""

import contextlib
import fcntl
import hashlib
import ipaddress
import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.driver import addressing, charon, netns
from agent.driver.errors import DriverCommandError, DriverUnavailable, InvalidNode, UnknownNode

OUTSIDE = "ext0"
INSIDE = "in"
SPEC_NAME = "node.json"

log = logging.getLogger(__name__)
# swanctl reports each missing credential directory as "failed"; make them all.
SWANCTL_SUBDIRS: tuple[str, ...] = ("x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl")
SWANCTL_SUBDIRS += ("pubkey", "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12")


@dataclass(frozen=True)
class NodeStatus:
    name: str
    kind: str  # "router" | "site"
    namespace: str
    namespace_exists: bool
    pid: int | None
    running: bool
    vici_uri: str
    public_ips: list[str]
    inside: list[str]  # "address/prefixlen" of each inside interface


@dataclass(frozen=True)
class NodeSpec:
    """What a node should be; stored as node.json in its directory."""

    kind: str
    public_ips: list[str]
    inside: list[str]  # "address/prefixlen"
    many_devices: bool = False  # a site standing in for one device per public IP
    generation: int = 0  # of a router: its placement, as the portal numbered it


class Host:
    """Routers or sites on this host. Methods that change things are idempotent.

    `routes`: the networks reached on-link through the external bridge (everything, on a
    production node; the documentation ranges in the lab). `public_ranges`: when given, the only
    public addresses a node may have (the lab never uses real ones). `datapath`: "kernel" or
    "libipsec" (see charon.choose_datapath)."""

    def __init__(
        self,
        base_dir: Path | str,
        prefix: str = "s2s",
        *,
        external_ns: str | None = None,
        bridge: str = "br0",
        own_external: bool = True,
        routes: tuple[str, ...] = addressing.PUBLIC_ROUTES,
        public_ranges: tuple[ipaddress.IPv4Network, ...] | None = addressing.PUBLIC_RANGES,
        datapath: str = charon.USERSPACE,
    ) -> None:
        addressing.check_prefix(prefix)
        self.base_dir = Path(base_dir).resolve()
        self.prefix = prefix
        self.inet = f"{prefix}-inet" if external_ns is None else external_ns
        self.bridge = bridge
        self.own_external = own_external
        self.routes = routes
        self.public_ranges = public_ranges
        self.datapath = datapath
        self._thread_lock = threading.RLock()
        self._lock_depth = 0
        self._lock_file: int | None = None

    # -- the lab as a whole ------------------------------------------------------------------

    def check(self) -> None:
        """Raise DriverUnavailable unless this process can build namespaces and charons."""
        if os.geteuid() != 0:
            raise DriverUnavailable(
                f"building routers needs root to create network namespaces "
                f"(running as uid {os.geteuid()})"
            )
        for tool, package in (("ip", "iproute2"), ("unshare", "util-linux"), ("sysctl", "procps")):
            if shutil.which(tool) is None:
                raise DriverUnavailable(f"`{tool}` is not on PATH (Debian package {package})")
        if not os.access(charon.CHARON, os.X_OK):
            raise DriverUnavailable(
                f"{charon.CHARON} is missing (Debian package strongswan-charon)"
            )
        if self.datapath == charon.USERSPACE and not Path("/dev/net/tun").exists():
            raise DriverUnavailable("/dev/net/tun is missing (charon's kernel-libipsec needs it)")

    def up(self) -> None:
        """Create the external bridge if owned and missing; rebuild missing nodes and restart
        dead charons."""
        self.check()
        with self._locked():
            self._ensure_inet()
            for name in self._names():
                self._ensure_node(name, self._read_spec(name))

    def down(self) -> None:
        """Remove every node and the internet: no process, namespace or socket is left."""
        errors: list[Exception] = []
        with self._locked():
            for name in self._names():
                try:
                    self._remove(name)
                except (DriverCommandError, OSError) as error:  # go on: leave as little as we can
                    errors.append(error)
            if self.own_external:
                netns.delete(self.inet)
        if errors:
            raise errors[0]

    def status(self) -> list[NodeStatus]:
        return [self._status(name, spec) for name, spec in self.specs().items()]

    def specs(self) -> dict[str, NodeSpec]:
        """The spec of every node this host has. Read without the host's lock, as the agent's
        loop reads them while its worker builds and removes routers: a node removed between
        the listing and the read is left out (it crashed the agent once, in the benchmark's
        teardown of 200 routers)."""
        found = {}
        for name in self._names():
            try:
                found[name] = self._read_spec(name)
            except FileNotFoundError:
                continue
        return found

    def names(self) -> list[str]:
        """The nodes this host should have (each with a node.json)."""
        return self._names()

    def ensure(self, name: str) -> bool:
        """Rebuild what is missing of one node (namespace, links, charon) from its spec;
        returns whether its charon had to be started."""
        self.check()
        with self._locked():
            self._existing_dir(name)
            self._ensure_inet()
            return self._ensure_node(name, self._read_spec(name))

    # -- nodes ------------------------------------------------------------------------------

    def add_router(
        self, name: str, public_ip: str, inside: list[tuple[str, str]], *, generation: int = 0
    ) -> str:
        """A VPC router: `public_ip` outside, each (tier_cidr, gateway_ip) inside."""
        return self._add(name, "router", [public_ip], inside, generation=generation)

    def add_site(
        self,
        name: str,
        public_ips: list[str],
        subnets: list[tuple[str, str]],
        *,
        many_devices: bool = False,
    ) -> str:
        """A customer site: one charon standing in for the gateways at all `public_ips`.

        `many_devices`: it stands in for a separate device at each public IP (the benchmark's
        1,000 customer gateways), so it accepts as many simultaneous initiations from one
        router as it has addresses (see charon.render_conf).
        """
        return self._add(name, "site", public_ips, subnets, many_devices=many_devices)

    def lose(self, name: str) -> None:
        """What a crash or a reboot does: the charon and the namespace are gone, the spec (what
        the node should be) stays."""
        with self._locked():
            node_dir = self._existing_dir(name)
            charon.kill(node_dir)
            if self.inet_link(name) in netns.links(self.inet):
                netns.ip(self.inet, "link", "delete", self.inet_link(name))
            netns.delete(self.namespace(name))

    def remove(self, name: str) -> None:
        """Stop the node's charon, delete its namespace (and so its veth) and its directory."""
        with self._locked():
            self._remove(name)

    def vici_uri(self, name: str) -> str:
        return f"unix://{charon.socket_path(self._node_dir(name))}"

    def namespace(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def inet_link(self, name: str) -> str:
        """The node's veth end on the bridge: unique per namespace (so several hosts can share
        one bridge), within IFNAMSIZ (15)."""
        digest = hashlib.sha1(self.namespace(name).encode(), usedforsecurity=False).hexdigest()
        return "v" + digest[:12]

    def start_charon(self, name: str) -> None:
        with self._locked():
            node_dir = self._existing_dir(name)
            if charon.running_pid(node_dir) is None:
                charon.start(name, node_dir, self.namespace(name))

    def stop_charon(self, name: str) -> None:
        with self._locked():
            charon.stop(self._existing_dir(name))

    def kill_charon(self, name: str) -> None:
        """SIGKILL the node's charon, as a crash would (its pid file stays behind)."""
        charon.kill(self._existing_dir(name))

    def set_link(self, name: str, up: bool) -> None:
        """Plug or pull the node's cable at the internet's end (a blackhole while down)."""
        self._existing_dir(name)
        netns.ip(self.inet, "link", "set", self.inet_link(name), "up" if up else "down")

    def exec(
        self, name: str, argv: list[str], timeout: float = 10
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the node's network namespace; its output is captured."""
        self._existing_dir(name)
        return subprocess.run(
            ["ip", "netns", "exec", self.namespace(name), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def load_site_config(self, name: str, swanctl_conf: str, *, if_changed: bool = False) -> bool:
        """Write the site's swanctl.conf and load all of it into the site's charon.

        With `if_changed`, nothing is done when this very text was already loaded into the
        charon running now (a restarted charon has a new pid, so it is loaded again). Returns
        whether swanctl ran.
        """
        node_dir = self._existing_dir(name)
        swanctl = shutil.which("swanctl")
        if swanctl is None:
            raise DriverUnavailable("the lab needs `swanctl` (Debian package strongswan-swanctl)")
        conf_dir = node_dir / "swanctl"
        for sub in SWANCTL_SUBDIRS:
            (conf_dir / sub).mkdir(parents=True, exist_ok=True)
        path, stamp_path = conf_dir / "swanctl.conf", conf_dir / "loaded.stamp"
        digest = hashlib.sha256(swanctl_conf.encode()).hexdigest()
        stamp = f"{charon.running_pid(node_dir)} {digest}"
        if if_changed and stamp_path.exists() and stamp_path.read_text() == stamp:
            return False
        stamp_path.unlink(missing_ok=True)
        path.write_text(swanctl_conf)
        argv = [swanctl, "--load-all", "--noprompt", "--file", str(path)]
        argv += ["--uri", self.vici_uri(name)]
        env = {**os.environ, "SWANCTL_DIR": str(conf_dir)}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30)
        output = (done.stdout + done.stderr).strip()
        # swanctl exits 0 even when it could not load a connection ("loading connection 'x'
        # failed"); its own missing optional plugins ("plugin 'aesni': failed to load") do not
        # count.
        refused = [
            line
            for line in output.splitlines()
            if "failed" in line and not line.startswith("plugin '")
        ]
        if done.returncode != 0 or refused:
            raise DriverCommandError(f"swanctl refused {path} for {name}:\n{output}")
        stamp_path.write_text(stamp)
        return True

    # -- internals --------------------------------------------------------------------------

    def _add(
        self,
        name: str,
        kind: str,
        public: list[str],
        inside: list[tuple[str, str]],
        *,
        many_devices: bool = False,
        generation: int = 0,
    ) -> str:
        self.check()
        spec = NodeSpec(
            kind=kind,
            public_ips=addressing.public_addresses(name, public, self.public_ranges),
            inside=addressing.inside_addresses(inside),
            many_devices=many_devices,
            generation=generation,
        )
        if len(str(charon.socket_path(self._node_dir(name)))) > charon.MAX_SOCKET_PATH:
            raise InvalidNode(
                f"{self.base_dir} is too deep for a unix socket path; use a shorter one"
            )
        with self._locked():
            self._check_conflicts(name, spec)
            node_dir = self._node_dir(name)
            node_dir.mkdir(parents=True, exist_ok=True)
            (node_dir / SPEC_NAME).write_text(json.dumps(asdict(spec), indent=2) + "\n")
            self._ensure_inet()
            self._ensure_node(name, spec)
        log.info("host %s: %s %s ready at %s", self.prefix, kind, name, self.vici_uri(name))
        return self.vici_uri(name)

    def _ensure_inet(self) -> None:
        if self.own_external:
            netns.add(self.inet)
            netns.ensure_bridge(self.inet, self.bridge)
        elif self.bridge not in netns.links(self.inet):
            where = f"namespace {self.inet}" if self.inet else "the root namespace"
            raise DriverUnavailable(f"the external bridge {self.bridge} is missing in {where}")

    def _ensure_node(self, name: str, spec: NodeSpec) -> bool:
        ns = self.namespace(name)
        node_dir = self._node_dir(name)
        if not netns.exists(ns):
            charon.stop(node_dir)  # a charon whose namespace was deleted under it is useless
        netns.add(ns)
        netns.ensure_veth(self.inet, self.inet_link(name), ns, OUTSIDE, self.bridge)
        netns.set_addresses(ns, OUTSIDE, [f"{address}/32" for address in spec.public_ips])
        for net in self.routes:
            netns.ip(ns, "route", "replace", net, "dev", OUTSIDE, "scope", "link")
        netns.ensure_stubs(ns, INSIDE, spec.inside)
        conf = node_dir / "strongswan.conf"
        text = charon.render_conf(name, many_devices=spec.many_devices, datapath=self.datapath)
        if not conf.exists() or conf.read_text() != text:
            conf.write_text(text)
        if charon.running_pid(node_dir) is not None:
            return False
        charon.start(name, node_dir, ns)
        return True

    def _remove(self, name: str) -> None:
        addressing.check_name(name)
        node_dir = self._node_dir(name)
        if node_dir.exists():
            charon.stop(node_dir)
        # Deleting one end of the veth takes the other at once; a namespace is torn down
        # asynchronously, so its end could still be listed in the internet for a moment.
        external = not self.inet or netns.exists(self.inet)
        if external and self.inet_link(name) in netns.links(self.inet):
            netns.ip(self.inet, "link", "delete", self.inet_link(name))
        netns.delete(self.namespace(name))
        shutil.rmtree(node_dir, ignore_errors=True)
        log.info("host %s: node %s removed", self.prefix, name)

    def _status(self, name: str, spec: NodeSpec) -> NodeStatus:
        node_dir = self._node_dir(name)
        pid = charon.read_pid(node_dir)
        return NodeStatus(
            name=name,
            kind=spec.kind,
            namespace=self.namespace(name),
            namespace_exists=netns.exists(self.namespace(name)),
            pid=pid,
            running=pid is not None and charon.is_charon(pid, node_dir),
            vici_uri=self.vici_uri(name),
            public_ips=list(spec.public_ips),
            inside=list(spec.inside),
        )

    def _check_conflicts(self, name: str, spec: NodeSpec) -> None:
        for other in self._names():
            if other == name:
                continue
            taken = set(self._read_spec(other).public_ips) & set(spec.public_ips)
            if taken:
                raise InvalidNode(f"{', '.join(sorted(taken))} already belongs to node {other}")
            if self.inet_link(other) == self.inet_link(name):
                raise InvalidNode(f"node names {name} and {other} hash alike; rename one")

    def _names(self) -> list[str]:
        if not self.base_dir.is_dir():
            return []
        return sorted(path.parent.name for path in self.base_dir.glob(f"*/{SPEC_NAME}"))

    def _read_spec(self, name: str) -> NodeSpec:
        data = json.loads((self._node_dir(name) / SPEC_NAME).read_text())
        return NodeSpec(**data)

    def _node_dir(self, name: str) -> Path:
        addressing.check_name(name)
        return self.base_dir / name

    def _existing_dir(self, name: str) -> Path:
        node_dir = self._node_dir(name)
        if not (node_dir / SPEC_NAME).exists():
            raise UnknownNode(f"no node {name!r} at {self.base_dir}")
        return node_dir

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise changes across threads and processes (workers, commands); re-entrant."""
        with self._thread_lock:
            if self._lock_depth == 0:
                self.base_dir.mkdir(parents=True, exist_ok=True)
                self._lock_file = os.open(self.base_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_file is not None:
                    os.close(self._lock_file)  # closing releases the flock
                    self._lock_file = None
