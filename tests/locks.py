"""Two real PostgreSQL sessions in a race, interleaved by their locks, not by timing: the first
holds its transaction open until the second is seen waiting on one of its locks
(pg_stat_activity)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection as db
from django.db import connections, transaction

DEADLINE = 20.0  # seconds; only reached when the second session never waits


def wait_until_someone_waits_on_a_lock() -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    pytest.fail("the second session never waited for the first one's lock")


def interleave(
    first: Callable[[], None],
    second: Callable[[], None],
    then: Callable[[], None] | None = None,
) -> list[BaseException]:
    """Run `first` in a transaction held open until `second` (in another thread) waits on it;
    `then`, if given, runs in the first's transaction once the second waits, before it ends.
    Returns what either raised."""
    errors: list[BaseException] = []
    holding, release = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                holding.set()
                release.wait(DEADLINE)
                if then is not None:
                    then()
        except BaseException as error:
            errors.append(error)
        finally:
            holding.set()
            connections.close_all()

    def run_second() -> None:
        try:
            second()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    holding.wait(DEADLINE)
    two = threading.Thread(target=run_second)
    two.start()
    try:
        wait_until_someone_waits_on_a_lock()
    finally:
        release.set()
        one.join(DEADLINE)
        two.join(DEADLINE)
    return errors
