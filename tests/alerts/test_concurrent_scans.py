"""Two beats scanning at once (a beat restarted while the old one still runs) open one
incident with one message per channel."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from alerts import detect
from alerts.models import Delivery, Incident
from vpn.choices import ConnectionState

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_opens_one_incident_when_two_scans_race(alert_settings, make_connection) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    for _ in range(3):
        make_connection(ConnectionState.DISCONNECTED, now - timedelta(minutes=6))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            barrier.wait()
            detect.scan(now)
        except BaseException as error:  # any failure, reported below
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Incident.objects.count() == 1
    assert Delivery.objects.count() == 1
