"""One charon per node: its strongswan.conf, starting, stopping and finding it by pid.

Each charon runs in its node's network namespace and in a mount namespace of its own where the
node's ``run/`` directory is bind-mounted on ``/run`` (charon's pid file is always
``/run/charon.pid``). Its working directory is the node directory and every path in its
strongswan.conf is relative to it, so the files stay reachable even when the lab's base
directory itself lies under ``/run`` and the bind mount hides its absolute path.

Failure detection: a request that gets no answer is retransmitted after
``retransmit_timeout * retransmit_base ** (n - 1)`` seconds, and charon gives up one more such
interval after the last retransmission. With 1 s, 1.5 and 4 tries that is
1 + 1.5 + 2.25 + 3.4 + 5.1 = 13.2 s, against 165 s with charon's defaults (4 s, 1.8, 5 tries).
A peer that dies is therefore declared dead ``dpd_delay`` (per connection) + 13.2 s after its last
sign of life; an initiation towards an address nobody answers fails after the same 13.2 s.
"""

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import vici

from agent.driver.errors import DriverCommandError
from vpn.strongswan.errors import RouterUnreachable
from vpn.strongswan.session import open_session

log = logging.getLogger(__name__)

CHARON = Path("/usr/lib/ipsec/charon")
# The first plugin loaded that offers an algorithm is the one charon uses. gmp comes before
# openssl for the MODP groups (the portal's default DH group is MODP 2048): with OpenSSL 3,
# openssl's MODP checks every peer's public value with a full-length exponentiation
# (y^q mod p, in EVP_PKEY_derive_set_peer), about half of a router's CPU while it negotiates a
# thousand tunnels at once (sampled with gdb in `make bench`'s restart). Every MODP group the
# portal offers (vpn.choices.DhGroup) is a safe prime (RFC 2409, RFC 3526), where that check
# adds nothing to the range check 1 < y < p-1 that gmp does (RFC 6989).
# openssl still does everything else (the ECP groups, curve25519, ...).
PLUGINS = (
    "random nonce aes sha1 sha2 hmac pem pkcs1 x509 revocation constraints pubkey gmp openssl "
    "curve25519 kdf {libipsec}kernel-netlink socket-default vici updown"
)
# Where the kernel has no ESP (CONFIG_INET_ESP unset), kernel-libipsec carries ESP in userspace
# through a TUN device (always UDP-encapsulated); kernel-netlink stays for routes and addresses.
# It must come before kernel-netlink: the first kernel IPsec backend loaded is the one used.
LIBIPSEC = "kernel-libipsec "
KERNEL, USERSPACE = "kernel", "libipsec"
RETRANSMIT = {"retransmit_timeout": "1.0", "retransmit_base": "1.5", "retransmit_tries": "4"}
START_TIMEOUT = 10.0
# Half-open IKE_SAs before charon demands cookies of initiators (see CONF_TEMPLATE): above the
# connections one router may hold (PORTAL_MAX_CONNECTIONS_PER_GATEWAY; the benchmark runs 1,010).
COOKIE_THRESHOLD = 2000
STOP_TIMEOUT = 5.0
SOCKET_NAME = "charon.vici"
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the terminating NUL
PID_NAME = "charon.pid"
LOG_NAME = "charon.log"
# strongSwan's starter (ipsec.conf sites of the lab) keeps its pid here, under the node's /run,
# and restarts a charon that exits: stopping a node stops its starter first.
STARTER_PID_NAME = "starter.charon.pid"
STROKE_SOCKET_NAME = "charon.ctl"

CONF_TEMPLATE = """\
# Written by the router driver for node {name}. Paths are relative to the node directory
# (charon's working directory); run/ is bind-mounted on /run inside charon's mount namespace.
charon {{
    load = {plugins}
    retransmit_timeout = {retransmit_timeout}
    retransmit_base = {retransmit_base}
    retransmit_tries = {retransmit_tries}
    retransmit_jitter = 0
    # MODP private exponents of the size matched to the group's strength (strongSwan's table,
    # as RFC 3526 section 8 advises) rather than as long as the prime: OpenSSL 3 makes them
    # that short for these groups too (225 bits for MODP 2048).
    dh_exponent_ansi_x9_42 = no
    # Half-open IKE_SAs allowed per peer address (charon's default is 5).
    block_threshold = {block_threshold}
    # A router holds an IKE_SA per connection (a thousand and more): charon's default table
    # is one bucket, a list scanned on every packet, list-sas and event (charon's docs suggest
    # a power of two near the number of SAs); segments spread its locks over the threads.
    ikesa_table_size = 1024
    ikesa_table_segments = 16
    # Above this many half-open IKE_SAs in all, charon asks every initiator for a COOKIE (one
    # more round trip each; charon's default 10). A cold start or a restart of a router opens
    # one per connection at once, each one ours; the per-peer block_threshold stays the guard
    # against one address flooding us.
    cookie_threshold = {cookie_threshold}
    # kernel-libipsec routes the remote subnets through its ipsec0 TUN in this table.
    install_routes = yes
    routing_table = 220
    routing_table_prio = 220
    plugins {{
        vici {{
            socket = unix:///run/{socket}
        }}{stroke}
        socket-default {{
            use_ipv6 = no
        }}
    }}
    filelog {{
        node {{
            path = {log}
            append = yes
            flush_line = yes
            time_format = %Y-%m-%d %H:%M:%S
            ike_name = yes
            default = 1
            ike = 1
            cfg = 1
            knl = 1
            net = 0
            enc = 0
            esp = 1
        }}
    }}
}}
"""


def kernel_has_esp() -> bool:
    """Whether this kernel can carry ESP itself (esp4 loaded, built in, or loadable)."""
    if Path("/sys/module/esp4").exists():
        return True
    release = os.uname().release
    for listing in ("modules.builtin", "modules.dep"):
        try:
            text = (Path("/lib/modules") / release / listing).read_text()
        except OSError:
            continue
        if "/esp4.ko" in text:
            return True
    return False


def choose_datapath(wanted: str) -> str:
    """ "kernel" or "libipsec"; "auto" picks the kernel's ESP where it has one."""
    if wanted in (KERNEL, USERSPACE):
        return wanted
    return KERNEL if kernel_has_esp() else USERSPACE


def render_conf(
    name: str,
    *,
    many_devices: bool = False,
    datapath: str = USERSPACE,
    stroke_secrets: str | None = None,
) -> str:
    """The strongswan.conf of one node. A site standing in for `many_devices` answers many
    initiations from the same router at once: one real device would see one of them, so
    charon's per-peer limit of half-open IKE_SAs (5) is lifted there. With `stroke_secrets`
    (an ipsec.secrets path relative to the node directory) charon also loads the stroke plugin,
    through which strongSwan's starter hands it an ipsec.conf."""
    plugins = PLUGINS.format(libipsec=LIBIPSEC if datapath == USERSPACE else "")
    stroke = ""
    if stroke_secrets is not None:
        plugins += " stroke"
        stroke = f"\n        stroke {{\n            secrets_file = {stroke_secrets}\n        }}"
    return CONF_TEMPLATE.format(
        name=name,
        plugins=plugins,
        stroke=stroke,
        socket=SOCKET_NAME,
        log=LOG_NAME,
        block_threshold=100_000 if many_devices else 5,
        cookie_threshold=100_000 if many_devices else COOKIE_THRESHOLD,
        **RETRANSMIT,
    )


def socket_path(node_dir: Path) -> Path:
    return node_dir / "run" / SOCKET_NAME


def answers(node_dir: Path) -> bool:
    """Whether the node's VICI socket answers ``version``."""
    try:
        with open_session(f"unix://{socket_path(node_dir)}", timeout=1.0) as session:
            session.version()
    except (OSError, RouterUnreachable, vici.exception.SessionException):
        return False
    return True


def is_charon(pid: int, node_dir: Path) -> bool:
    """Whether `pid` is a live charon working in `node_dir` (guards against reused pids)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cwd = os.readlink(f"/proc/{pid}/cwd")  # unreadable once the process is a zombie
    except OSError:
        return False
    return comm == "charon" and Path(cwd) == node_dir.resolve()


def read_pid(node_dir: Path) -> int | None:
    try:
        return int((node_dir / "run" / PID_NAME).read_text().strip())
    except (OSError, ValueError):
        return None


def running_pid(node_dir: Path) -> int | None:
    pid = read_pid(node_dir)
    return pid if pid is not None and is_charon(pid, node_dir) else None


def log_tail(node_dir: Path, lines: int = 15) -> str:
    try:
        text = (node_dir / LOG_NAME).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def clear_run_dir(node_dir: Path) -> None:
    """Remove a dead charon's pid file and socket (charon refuses to start over a live pid)."""
    for name in (PID_NAME, SOCKET_NAME, STARTER_PID_NAME, STROKE_SOCKET_NAME):
        (node_dir / "run" / name).unlink(missing_ok=True)


def spawn(
    name: str, node_dir: Path, namespace: str, program: list[str], conf: str
) -> subprocess.Popen[bytes]:
    """Run `program` detached in the node's network namespace and in a mount namespace of its
    own with the node's run/ on /run, in the node directory, with STRONGSWAN_CONF=`conf`; its
    output goes to the node's log. Reaped whenever it exits, so it never lingers as a zombie."""
    (node_dir / "run").mkdir(exist_ok=True)
    argv = [
        *("ip", "netns", "exec", namespace, "unshare", "--mount", "--propagation", "private"),
        *("sh", "-c", 'mount --bind run /run && exec "$0" "$@"', *program),
    ]
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    env["STRONGSWAN_CONF"] = conf
    with open(node_dir / LOG_NAME, "ab") as log_file:
        process = subprocess.Popen(
            argv,
            cwd=node_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    reaper = f"reap-{Path(program[0]).name}-{name}"
    threading.Thread(target=process.wait, name=reaper, daemon=True).start()
    return process


def start(name: str, node_dir: Path, namespace: str) -> int:
    """Start the node's charon detached and wait until VICI answers; return its pid."""
    if running_pid(node_dir) is not None:
        raise DriverCommandError(f"charon of {name} is already running")
    clear_run_dir(node_dir)
    process = spawn(name, node_dir, namespace, [str(CHARON)], "strongswan.conf")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise DriverCommandError(
                f"charon of {name} exited with {process.returncode}:\n{log_tail(node_dir)}"
            )
        if answers(node_dir):
            log.info("charon of %s started pid=%s", name, process.pid)
            return process.pid
        time.sleep(0.05)
    _signal_until_gone(process.pid, node_dir, signal.SIGKILL)
    raise DriverCommandError(
        f"charon of {name} did not answer on VICI within {START_TIMEOUT:.0f} s:\n"
        f"{log_tail(node_dir)}"
    )


def starter_pid(node_dir: Path) -> int | None:
    """The pid of the starter supervising this node's charon, if one runs."""
    try:
        pid = int((node_dir / "run" / STARTER_PID_NAME).read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except (OSError, ValueError):
        return None
    return pid if comm == "starter" and Path(cwd) == node_dir.resolve() else None


def stop(node_dir: Path) -> None:
    """SIGTERM the node's charon (through its starter, if one supervises it), SIGKILL it if it
    is still there after STOP_TIMEOUT."""
    starter = starter_pid(node_dir)
    if starter is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(starter, signal.SIGTERM)  # starter stops its charon, then exits
        deadline = time.monotonic() + STOP_TIMEOUT
        while starter_pid(node_dir) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
    pid = running_pid(node_dir)
    if pid is not None:
        if not _signal_until_gone(pid, node_dir, signal.SIGTERM, STOP_TIMEOUT):
            log.warning("charon pid=%s in %s ignored SIGTERM; killing it", pid, node_dir)
            _signal_until_gone(pid, node_dir, signal.SIGKILL)
        log.info("charon in %s stopped pid=%s", node_dir, pid)
    clear_run_dir(node_dir)


def kill(node_dir: Path) -> None:
    """SIGKILL the node's charon and leave its pid file behind, as a crash would."""
    pid = running_pid(node_dir)
    if pid is not None:
        _signal_until_gone(pid, node_dir, signal.SIGKILL)


def _signal_until_gone(
    pid: int, node_dir: Path, signum: signal.Signals, timeout: float = 2.0
) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
    deadline = time.monotonic() + timeout
    while is_charon(pid, node_dir):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
