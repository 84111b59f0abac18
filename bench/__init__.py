"""`make bench`: how fast and how far the portal goes, measured against real charons.

Run it as root after the README's set-up: ``make bench`` (or ``.venv/bin/python -m bench``;
``--only tunnels|scale|pages|load`` for one section, ``--keep`` to leave the database and lab
up). It creates its own PostgreSQL database (s2s_bench), uses Redis database 13 and a lab of
its own (/run/s2s-bench, prefix "bench"), starts the worker, beat and monitor as children, and
removes all of it at the end. The table goes to stdout, docs/performance.md and
bench/results.json; child logs to bench/out/.

Modules: env (database, settings, machine), stack (child processes), world (tenants, VPCs,
gateways), tunnels (click to Connected, failure detection, recovery), scale (N connections on
one router against the full reload), pages (server time and queries), load (locust against
gunicorn), report (table, Markdown, JSON), stats (median, p95). Not part of `make test`.
"""
