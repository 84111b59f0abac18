# The two commands a new user needs:  make demo  and  make test.
SHELL := /bin/bash
# ip, sysctl and runuser live in /usr/sbin and /sbin, which a user's PATH may lack.
export PATH := $(PATH):/usr/sbin:/sbin
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://s2s:s2s@127.0.0.1:5432/s2s_portal

.PHONY: setup demo test lint format screenshots bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@NEED_POSTGRES=0 bash scripts/services.sh || echo "demo: no Redis, so no background workers"
	@PORTAL_LAB=1 PORTAL_ALERT_ALLOW_LOOPBACK=$${PORTAL_ALERT_ALLOW_LOOPBACK-1} DEBUG=$${DEBUG-1} $(PY) manage.py demo

test: setup
	@bash scripts/services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal network vpn api alerts agent lab docs bench
	$(VENV)/bin/lint-imports
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/pytest

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy portal network vpn api alerts agent lab docs bench && $(VENV)/bin/lint-imports

format:
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache

# The user guide's screenshots, regenerated from the running portal (docs/user-guide/...).
screenshots: setup
	@NEED_POSTGRES=0 bash scripts/services.sh
	PORTAL_LAB=1 $(PY) -m docs.screenshots

# Benchmarks against real charons: prints a table, writes docs/performance.md and bench/results.json.
bench: setup
	@bash scripts/services.sh
	PORTAL_LAB=1 $(PY) -m bench
