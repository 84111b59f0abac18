"""`manage.py nodes` shows every network node's health and load."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from network.models import NetworkNode


@pytest.mark.django_db
def test_it_lists_live_and_silent_nodes(vpc) -> None:
    NetworkNode.objects.create(
        name="silent", last_heartbeat=timezone.now() - timedelta(hours=1), draining=True
    )
    out = io.StringIO()
    call_command("nodes", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert "alive" in lines["unit-a"] and "routers 1/100" in lines["unit-a"]
    assert "DOWN,draining" in lines["silent"]
