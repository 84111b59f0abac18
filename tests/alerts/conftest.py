from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alerts.models import AlertSettings
from tests.vpn.conftest import make_cgw
from vpn.actions import create_gateway
from vpn.choices import ConnectionState
from vpn.models import VpnConnection

DOWN_AFTER = timedelta(minutes=5)


@pytest.fixture
def alert_settings(alice) -> AlertSettings:  # type: ignore[no-untyped-def]
    return AlertSettings.objects.create(
        account=alice.account,
        email_enabled=True,
        emails=["ops@example.com"],
        down_after_minutes=5,
    )


@pytest.fixture
def gateway(vpc):  # type: ignore[no-untyped-def]
    return create_gateway(vpc)[0]


@pytest.fixture
def make_connection(alice, gateway) -> Callable[..., VpnConnection]:  # type: ignore[no-untyped-def]
    """A connection to a customer gateway of its own, in `state` since `since`."""
    count = iter(range(1, 250))

    def make(
        state: str = ConnectionState.CONNECTED, since: datetime | None = None
    ) -> VpnConnection:
        n = next(count)
        cgw = make_cgw(alice.account, name=f"site-{n}", ip=f"203.0.113.{n}")
        connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
        set_state(connection, state, since or timezone.now())  # state_changed is auto_now_add
        connection.refresh_from_db()
        return connection

    return make


def set_state(connection: VpnConnection, state: str, since: datetime) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(state=state, state_changed=since)
