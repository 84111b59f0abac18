"""`make demo`: migrate, seed, bring up the lab (as root), and run the portal with its workers.

Children (web server, Celery worker and beat, the VICI monitor) are started here and stopped here
by their pids on Ctrl-C or SIGTERM; the lab is taken down on the way out.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from portal import processes

ADDRESS = "127.0.0.1:8000"
# Customer gateways of the demo whose devices run in the lab (see seed_demo).
DEMO_SITES = ("headquarters", "branch-office")


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
        call_command("seed_demo")
        if lab_ok:
            call_command("lab", "add-site", customer_gateway=list(DEMO_SITES))
            call_command("lab", "sync")
        try:
            self._spawn_all(str(options["addr"]))
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nThe portal runs on http://{options['addr']}/  — log in as demo / demo "
                    "(operators: http://{0}/admin/ as admin / admin). Ctrl-C stops it.\n".format(
                        options["addr"]
                    )
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

    def _spawn_all(self, addr: str) -> None:
        python, manage = sys.executable, str(settings.BASE_DIR / "manage.py")
        env = {**os.environ, "PORTAL_WORKER_ALL_ROUTERS": "1"}
        commands = [
            processes.worker("demo@%h", "--concurrency", "2"),
            processes.beat(self.scratch / "celerybeat-schedule"),
            processes.monitor(),
            [python, manage, "runserver", addr, "--noreload"],
        ]
        for command in commands:
            process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
            self.children.append((command, process))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _shutdown(self, lab_ok: bool) -> None:
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
