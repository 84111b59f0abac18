"""The shape the design promises: the control plane knows nothing of the lab, and nothing the
portal does is a broadcast to every worker."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from network.actions import add_tier, delete_tier
from network.models import Tier
from portal.celery import app
from tests.vpn.conftest import make_cgw
from vpn.actions import create_connection, create_gateway, delete_connection

ROOT = Path(__file__).resolve().parent.parent
CONTROL_PLANE = [
    "agent/converge.py",
    "agent/monitor.py",
    "agent/tasks.py",
    "agent/node.py",
    "vpn/reconcile.py",
    "vpn/queues.py",
    "network/dispatch.py",
    "network/scheduler.py",
]


@pytest.mark.parametrize("path", CONTROL_PLANE)
def test_it_names_no_lab_in_the_control_plane(path: str) -> None:
    assert not re.search(r"\blab\b", (ROOT / path).read_text(), re.IGNORECASE)


def test_it_turns_remote_control_off_on_every_worker() -> None:
    assert settings.CELERY_WORKER_ENABLE_REMOTE_CONTROL is False


@pytest.mark.django_db
def test_it_sends_no_broadcast_whatever_a_tenant_does(
    alice, vpc, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a broadcast: {args} {kwargs}")

    monkeypatch.setattr(app.control, "broadcast", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        add_tier(vpc=vpc, name="db", cidr="10.1.2.0/24")
        connection = create_connection(
            create_gateway(vpc)[0], make_cgw(alice.account), passive=False
        )
        delete_connection(connection)
        delete_tier(tier=Tier.objects.get(name="db"))
