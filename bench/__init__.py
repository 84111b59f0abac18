"""`make bench`: how fast and how far the portal goes, measured against real charons.

Run it as root after the README's set-up: ``make bench`` (or ``PORTAL_LAB=1 .venv/bin/python
-m bench``; ``--only tunnels|nodes|scale|pages|load`` for one section, ``--keep`` to leave the
database and lab up). It creates its own PostgreSQL database (s2s_bench), uses Redis database
13 and a lab of its own (/run/s2s-bench, prefix "bench"), starts two network nodes (each a real
agent process: its worker on its own queue, its VICI monitor, heartbeat and supervision), the
portal's worker and beat as children, and removes all of it at the end. The table goes to
stdout, docs/performance.md and bench/results.json; child logs to bench/out/.

Modules: env (database, settings, machine), stack (child processes: nodes, worker, beat),
world (tenants, VPCs, gateways, looks at charon), tunnels (click to Connected, failure
detection, recovery), nodes (charon crash, agent restart, node loss), scale (N connections on
one router against the full reload), pages (server time and queries), load (locust against
gunicorn), report (table, Markdown, JSON), stats (median, p95). Not part of `make test`.
"""
