"""Production settings pass `manage.py check --deploy` with nothing we have not decided on."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_passes_the_deploy_checks_with_production_settings() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PORTAL_INSECURE_DEFAULTS"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        PSK_ENCRYPTION_KEY=secrets.token_hex(32),
        ALLOWED_HOSTS="portal.example",
        SECURE_TLS="1",
        DEBUG="0",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_it_refuses_to_start_without_a_secret_key() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "PORTAL_INSECURE_DEFAULTS", "SECRET_KEY"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
