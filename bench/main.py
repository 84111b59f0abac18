"""`make bench`: bring everything up, run every benchmark, write the figures, tear it all down."""

from __future__ import annotations

import argparse
import fcntl
import os
import time
import traceback

from bench import env
from bench.stats import Results, say

SECTIONS = ("tunnels", "live", "nodes", "fleet", "scale", "pages", "load")


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
    parser.add_argument(
        "--merge",
        action="store_true",
        help="With --only: put this run's rows into bench/results.json and docs/performance.md "
        "in place of the same groups' published rows (the document says when each was measured).",
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
    env.setup_django()
    from bench.stack import NODES, Stack, stop_orphans

    stop_orphans()
    _lab_down()
    for log in env.OUT.glob("*.log"):
        log.unlink()  # the children append to their logs; a run reads only its own
    env.create_database()
    env.flush_redis()
    say(f"database {env.DB_NAME} created; migrating")
    env.migrate()
    results = Results()
    results.facts["machine"] = env.machine()
    results.facts["node_timers_seconds"] = env.node_timers()
    stack = Stack()
    failed = False
    try:
        stack.start()
        say(f"network nodes {', '.join(NODES)} (agents), the portal's worker and beat running")
        from bench.world import ensure_pool

        ensure_pool()
        if "tunnels" in sections:
            from bench import tunnels

            _section(results, "tunnels", lambda: tunnels.run(results, stack))
        if "live" in sections:
            from bench import live

            _section(results, "live", lambda: live.run(results, stack))
        if "nodes" in sections:
            from bench import nodes

            _section(results, "nodes", lambda: nodes.run(results, stack))
        if "fleet" in sections:
            from bench import fleet

            _section(results, "fleet", lambda: fleet.run(results, stack))
        if "scale" in sections:
            from bench import scale

            _section(results, "scale", lambda: scale.run(results, stack))
        stack.stop()
        _lab_down()
        if "pages" in sections:
            from bench import pages

            _section(results, "pages", lambda: pages.run(results), nodes=False)
        if "load" in sections:
            from bench import load

            _section(results, "load", lambda: load.run(results, stack), nodes=False)
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
            env.drop_roles(NODES)
            env.flush_redis()
        elapsed = time.monotonic() - started
        results.facts["run_seconds"] = round(elapsed, 1)
        results.facts["sections"] = sections
        from bench import report

        report.write(results, full=not args.only and not failed, merge=args.merge and not failed)
        say(f"done in {elapsed / 60:.1f} min")
    return 1 if results.facts.get("errors") else 0


def _section(results: Results, name: str, body, *, nodes: bool = True) -> None:
    """Run one section; an error is recorded (and shown) without losing the other figures.
    With `nodes`, how old the nodes' heartbeats got meanwhile is recorded too (a node whose
    heartbeat ages past NETWORK_NODE_DOWN_AFTER has its routers failed over)."""
    from bench.stack import heartbeats

    started = time.monotonic()
    try:
        if nodes:
            with heartbeats() as watch:
                try:
                    body()
                finally:
                    ages = results.facts.setdefault("max_heartbeat_age_seconds", {})
                    ages[name] = watch.stop()
        else:
            body()
    except Exception as error:
        say(f"{name} FAILED: {error}")
        traceback.print_exc()
        results.facts.setdefault("errors", []).append(f"{name}: {type(error).__name__}: {error}")
    results.facts.setdefault("section_seconds", {})[name] = round(time.monotonic() - started, 1)
    # Other work on this machine shows here (load averages over 1 and 5 minutes at the end).
    load = [round(x, 1) for x in os.getloadavg()[:2]]
    results.facts.setdefault("load_average_at_section_end", {})[name] = load
    say(f"{name} took {time.monotonic() - started:.0f} s")


def _lab_down() -> None:
    """What `manage.py lab down` does: every router the lab's nodes built, every site, the
    lab's internet (left over from an interrupted run, or at the end of this one)."""
    from agent.driver import DriverUnavailable
    from agent.driver.routers import RouterDriver
    from lab.world import lab_nodes, node_config, world

    try:
        for name in lab_nodes():
            RouterDriver(node_config(name)).host.down()
        world().down()
    except DriverUnavailable as error:
        say(f"lab down: {error}")
    world.cache_clear()
