"""`make demo`: migrate, seed, bring up the lab, and run the portal with two network nodes.

Children (web server, the portal's Celery worker and beat, and two network node agents, each
with its own worker and VICI monitor) are started here and stopped here by their pids on Ctrl-C
or SIGTERM; an agent that dies is started again (this command is their supervisor). The lab
(its sites, and the routers the agents built) is taken down on the way out.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from lab.nodes import Nodes
from network.models import NetworkNode
from portal import processes

ADDRESS = "127.0.0.1:8000"
# Customer gateways of the demo whose devices run in the lab (see seed_demo).
DEMO_SITES = ("headquarters", "branch-office")
# The demo's network nodes: two agents on this machine, so its two VPCs sit on different nodes.
DEMO_NODES = ("edge-1", "edge-2")


class Command(BaseCommand):
    help = "Run the demo portal on http://127.0.0.1:8000/ with real workers (and the lab as root)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default=ADDRESS)

    def handle(self, *args: object, **options: object) -> None:
        self.children: list[tuple[list[str], subprocess.Popen[bytes]]] = []  # (command, process)
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="s2s-demo-"))  # beat's schedule, per run
        call_command("migrate", interactive=False, verbosity=0)
        lab_ok = self._lab_up()
        self.nodes = Nodes(self.scratch)
        try:
            self._start_nodes()
            call_command("seed_demo")
            if lab_ok:
                call_command("lab", "add-site", customer_gateway=list(DEMO_SITES))
                call_command("lab", "sync")
            self._spawn_all(str(options["addr"]))
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nThe portal runs on http://{options['addr']}/  — log in as demo / demo "
                    "(operators: http://{0}/admin/ as admin / admin). API: http://{0}/api/docs/,"
                    " a token from the API tokens page or `manage.py create_api_token demo`. "
                    "Ctrl-C stops it.\n".format(options["addr"])
                )
            )
            while not self.stopping:
                for command, child in self.children:
                    if child.poll() is not None and not self.stopping:
                        self.stderr.write(f"demo: {command[2:4]} exited with {child.returncode}")
                        self.stopping = True
                time.sleep(0.5)
        finally:
            self._shutdown(lab_ok)

    def _lab_up(self) -> bool:
        try:
            call_command("lab", "up")
        except Exception as error:
            self.stderr.write(
                f"demo: the lab is not available ({error}); routers show as unreachable."
            )
            return False
        return True

    def _start_nodes(self) -> None:
        """Two agents; the seed's VPCs are placed once both have heartbeaten."""
        self.nodes.start(*DEMO_NODES)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alive = [n for n in NetworkNode.objects.filter(name__in=DEMO_NODES) if n.is_alive()]
            if len(alive) == len(DEMO_NODES):
                return
            time.sleep(0.2)
        self.stderr.write(f"demo: the network nodes did not all start; see {self.scratch}")

    def _spawn_all(self, addr: str) -> None:
        host, _, port = addr.rpartition(":")
        env = dict(os.environ)
        commands = [
            processes.worker("demo@%h", "--concurrency", "1"),
            processes.beat(self.scratch / "celerybeat-schedule"),
            processes.web(host or "127.0.0.1", port),
        ]
        for command in commands:
            process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
            self.children.append((command, process))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _shutdown(self, lab_ok: bool) -> None:
        self.nodes.stop_all(remove_routers=lab_ok)
        for _command, child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for _command, child in self.children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if lab_ok:
            call_command("lab", "down")
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.stdout.write("demo: stopped.")
