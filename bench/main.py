"""`make bench`: bring everything up, run every benchmark, write the figures, tear it all down."""

from __future__ import annotations

import argparse
import fcntl
import os
import time
import traceback

from bench import env
from bench.stats import Results, say

SECTIONS = ("tunnels", "scale", "pages", "load")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="Run only this section (repeatable); docs/performance.md is then left alone.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the database and lab afterwards (debugging)."
    )
    args = parser.parse_args(argv)
    sections = args.only or list(SECTIONS)
    if os.geteuid() != 0:
        print("make bench needs root: the lab builds network namespaces with real charons.")
        return 2

    started = time.monotonic()
    env.apply_environment()
    lock = os.open(env.OUT / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("Another make bench is running here; it owns the bench database and lab.")
        return 2
    from bench.stack import Stack, stop_orphans

    stop_orphans()
    _lab_down()
    env.create_database()
    env.flush_redis()
    say(f"database {env.DB_NAME} created; migrating")
    env.setup_django()
    results = Results()
    results.facts["machine"] = env.machine()
    stack = Stack()
    failed = False
    try:
        stack.start()
        say("worker, beat and monitor running")
        from bench.world import ensure_pool

        ensure_pool()
        if "tunnels" in sections:
            from bench import tunnels

            _section(results, "tunnels", lambda: tunnels.run(results, stack))
        if "scale" in sections:
            from bench import scale

            _section(results, "scale", lambda: scale.run(results, stack))
        stack.stop()
        _lab_down()
        if "pages" in sections:
            from bench import pages

            _section(results, "pages", lambda: pages.run(results))
        if "load" in sections:
            from bench import load

            _section(results, "load", lambda: load.run(results, stack))
    except BaseException:
        failed = True
        raise
    finally:
        stack.stop()
        if not args.keep:
            _lab_down()
            from django.db import connections

            connections.close_all()
            env.drop_database()
            env.flush_redis()
        elapsed = time.monotonic() - started
        results.facts["run_seconds"] = round(elapsed, 1)
        results.facts["sections"] = sections
        from bench import report

        report.write(results, full=not args.only and not failed)
        say(f"done in {elapsed / 60:.1f} min")
    return 1 if results.facts.get("errors") else 0


def _section(results: Results, name: str, body) -> None:
    """Run one section; an error is recorded (and shown) without losing the other figures."""
    started = time.monotonic()
    try:
        body()
    except Exception as error:
        say(f"{name} FAILED: {error}")
        traceback.print_exc()
        results.facts.setdefault("errors", []).append(f"{name}: {type(error).__name__}: {error}")
    results.facts.setdefault("section_seconds", {})[name] = round(time.monotonic() - started, 1)
    say(f"{name} took {time.monotonic() - started:.0f} s")


def _lab_down() -> None:
    from network.lab import Lab, LabUnavailable

    try:
        Lab(env.LAB_DIR, prefix=env.LAB_PREFIX).down()
    except LabUnavailable as error:
        say(f"lab down: {error}")
