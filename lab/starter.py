"""A customer site configured the legacy way: strongSwan's starter reading the portal's
ipsec.conf download and handing it to charon over stroke (Debian's strongswan-starter).

The site's namespace and directory are the lab's (agent.driver.Host); instead of the site's plain
charon loaded over VICI with swanctl, `load` runs `starter --nofork --conf <file>` in the site's
namespace and in a mount namespace of its own with the site's run/ on /run, exactly as the driver
runs charon (charon.start). Everything starter and charon read or write lies in the site
directory: its own strongswan.conf (STRONGSWAN_CONF: the site's charon settings plus the stroke
plugin and the ipsec.secrets path), ipsec.conf, ipsec.secrets, and under /run (the site's run/)
starter.charon.pid, charon.pid and the stroke socket charon.ctl. The machine's /etc/ipsec.conf
and /etc/ipsec.secrets are never read. charon keeps its VICI socket too, so the lab reads the
site's SAs as it reads any other.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from agent.driver import Host, charon
from agent.driver.errors import DriverCommandError, DriverUnavailable
from vpn.strongswan.session import open_session

STARTER = Path("/usr/lib/ipsec/starter")
DIR = "starter"  # inside the site's directory
SECRETS_MARK = "# ---- ipsec.secrets ----"
START_TIMEOUT = 15.0


def uses_starter(host: Host, name: str) -> bool:
    """Whether this site was configured from an ipsec.conf download."""
    return (host.base_dir / name / DIR).is_dir()


def split(download: str) -> tuple[str, str]:
    """(ipsec.conf, ipsec.secrets) of one or more concatenated ipsec.conf downloads: the
    secrets are the commented lines after each download's secrets mark, as a tenant copies
    them (without the leading "# ")."""
    conf: list[str] = []
    secrets: list[str] = []
    in_secrets = False
    for line in download.splitlines():
        if line == SECRETS_MARK:
            in_secrets = True
        elif in_secrets and line.startswith("# ") and " : PSK " in line:
            secrets.append(line[2:])
        elif in_secrets and not line.startswith("#"):
            in_secrets = False
        if not in_secrets:
            conf.append(line)
    return "\n".join(conf) + "\n", "\n".join(secrets) + "\n"


def load(host: Host, name: str, download: str, *, if_changed: bool = False) -> bool:
    """Configure the site from `download` (ipsec.conf variant) through a fresh starter;
    returns whether it (re)started. With `if_changed`, nothing is done when this text already
    runs under the starter and charon of now."""
    if not STARTER.exists():
        raise DriverUnavailable(f"{STARTER} is missing (Debian package strongswan-starter)")
    node_dir = host.base_dir / name
    if not (node_dir / "node.json").exists():
        raise DriverUnavailable(f"no lab site {name!r}")
    work = node_dir / DIR
    work.mkdir(exist_ok=True)
    digest = hashlib.sha256(download.encode()).hexdigest()
    stamp_path = work / "loaded.stamp"
    stamp = f"{charon.starter_pid(node_dir)} {digest}"
    if if_changed and stamp_path.exists() and stamp_path.read_text() == stamp:
        return False
    stamp_path.unlink(missing_ok=True)
    ipsec_conf, ipsec_secrets = split(download)
    (work / "ipsec.conf").write_text(ipsec_conf)
    secrets = work / "ipsec.secrets"
    secrets.write_text(ipsec_secrets)
    secrets.chmod(0o600)
    (work / "strongswan.conf").write_text(
        charon.render_conf(name, datapath=host.datapath, stroke_secrets=f"{DIR}/ipsec.secrets")
    )
    host.stop_charon(name)  # the site's own charon, or the starter of a previous load
    pid = _start(host, name, node_dir)
    _wait_for_conns(host, name, node_dir, ipsec_conf)
    stamp_path.write_text(f"{pid} {digest}")
    return True


def _start(host: Host, name: str, node_dir: Path) -> int:
    program = [str(STARTER), "--nofork", "--conf", f"{DIR}/ipsec.conf"]
    conf = f"{DIR}/strongswan.conf"
    return charon.spawn(name, node_dir, host.namespace(name), program, conf).pid


def _wait_for_conns(host: Host, name: str, node_dir: Path, ipsec_conf: str) -> None:
    """Until charon (started by starter) lists every conn of the file that starter loads."""
    wanted = {
        line.split()[1]
        for line in ipsec_conf.splitlines()
        if line.startswith("conn ") and not line.rstrip().endswith("-base")
    }
    deadline = time.monotonic() + START_TIMEOUT
    loaded: set[str] = set()
    while time.monotonic() < deadline:
        if charon.answers(node_dir):
            # list-conns, not get-conns: the latter names only conns loaded over VICI.
            with open_session(host.vici_uri(name)) as session:
                names = [key for conn in session.list_conns() for key in conn]
            loaded = {n.decode() if isinstance(n, bytes) else n for n in names}
            if wanted <= loaded:
                return
        time.sleep(0.1)
    raise DriverCommandError(
        f"starter of {name} did not load {sorted(wanted - loaded)} within "
        f"{START_TIMEOUT:.0f} s:\n{charon.log_tail(node_dir)}"
    )
