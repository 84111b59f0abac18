"""Availability and traffic from a connection's history (vpn.availability: pure functions)."""

from datetime import UTC, datetime, timedelta

import pytest

from vpn.availability import (
    Change,
    Sample,
    availability,
    chart,
    describe,
    describe_traffic,
    traffic,
)

END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
START = END - timedelta(hours=24)
UP = "connected"
DOWN = "disconnected"


def _at(hours: float) -> datetime:
    """`hours` after the window's start."""
    return START + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("before", "changes", "percent", "gaps"),
    [
        pytest.param(Change(_at(-5), UP), [], 100.0, [], id="always up"),
        pytest.param(None, [], None, [], id="no events"),
        pytest.param(Change(_at(-5), DOWN, "x"), [], 0.0, [(0, 24, "x")], id="always down"),
        pytest.param(
            Change(_at(-5), UP),
            [Change(_at(6), DOWN, "Peer not responding."), Change(_at(12), UP)],
            75.0,
            [(6, 12, "Peer not responding.")],
            id="one gap inside",
        ),
        pytest.param(
            Change(_at(-1), DOWN, "since before"),
            [Change(_at(6), UP)],
            75.0,
            [(0, 6, "since before")],
            id="gap open at the window's start",
        ),
        pytest.param(
            Change(_at(-1), UP),
            [Change(_at(18), "error", "auth failed")],
            75.0,
            [(18, 24, "auth failed")],
            id="gap open at the window's end",
        ),
        pytest.param(
            None,
            [Change(_at(12), UP), Change(_at(18), DOWN, "d")],
            50.0,
            [(18, 24, "d")],
            id="unknown until the first change",
        ),
        pytest.param(
            Change(_at(-1), UP),
            [Change(_at(6), DOWN, "a"), Change(_at(7), "connecting", "b"), Change(_at(8), UP)],
            pytest.approx(100 * 22 / 24),
            [(6, 8, "a")],
            id="several non-connected states are one gap",
        ),
    ],
)
def test_it_computes_the_connected_fraction_and_the_gaps(before, changes, percent, gaps) -> None:
    result = availability(changes, start=START, end=END, before=before)
    assert result.percent == percent
    assert [(g.start, g.end, g.reason) for g in result.gaps] == [
        (_at(a), _at(b), reason) for a, b, reason in gaps
    ]


def test_it_ignores_changes_outside_the_window() -> None:
    changes = [Change(_at(-2), DOWN), Change(_at(25), DOWN)]
    result = availability(changes, start=START, end=END, before=Change(_at(-3), UP))
    assert result.percent == 100.0


def test_it_says_the_availability_and_each_gap_in_words() -> None:
    result = availability(
        [Change(_at(3), DOWN, "Peer not responding."), Change(_at(3.2), UP)],
        start=START,
        end=END,
        before=Change(_at(-1), UP),
    )
    assert describe(result, "24 h", UTC) == (
        "Connected 99.2% of the last 24 h; down 1 time: 15:00\u201315:12 (Peer not responding)."
    )


def test_it_says_a_gap_still_open_lasts_until_now() -> None:
    result = availability([], start=START, end=END, before=Change(_at(-1), DOWN, "Down"))
    assert describe(result, "24 h", UTC).endswith("12:00\u2013now (Down).")


def test_it_says_when_nothing_is_known() -> None:
    result = availability([], start=START, end=END, before=None)
    assert describe(result, "7 days", UTC) == "No state recorded in the last 7 days."


def test_it_draws_gaps_on_the_bar() -> None:
    result = availability(
        [Change(_at(6), DOWN, "d"), Change(_at(12), UP)],
        start=START,
        end=END,
        before=Change(_at(-1), UP),
    )
    assert [(r.x, r.width) for r in result.gap_rects] == [(250.0, 250.0)]
    assert result.unknown_width == 0


def test_it_counts_bytes_per_interval_across_a_counter_restart() -> None:
    samples = [
        Sample(_at(-0.1), 1000, 10),
        Sample(_at(0.1), 1500, 30),  # +500 / +20
        Sample(_at(0.2), 200, 5),  # a new SA: +200 / +5
    ]
    buckets = traffic(samples, start=START, end=END, buckets=24)
    assert (buckets[0].bytes_in, buckets[0].bytes_out) == (700, 25)
    assert all(b.bytes_in == 0 for b in buckets[1:])


def test_it_describes_and_labels_the_traffic_chart() -> None:
    samples = [Sample(_at(1), 0, 0), Sample(_at(2.5), 2_000_000, 1_000)]
    buckets = traffic(samples, start=START, end=END, buckets=24)
    text = describe_traffic(buckets, "24 h", UTC)
    assert text == (
        "Traffic in the last 24 h: 2.0 MB in, 1.0 kB out; busiest 60 minutes from 14:00: "
        "2.0 MB in, 1.0 kB out."
    )
    drawn = chart(buckets, UTC)
    assert drawn.peak == "2.0 MB per 60 minutes" and drawn.start == "12:00"
    assert max(b.in_height for b in drawn.bars) == 100


def test_it_says_when_there_was_no_traffic() -> None:
    buckets = traffic([], start=START, end=END)
    assert describe_traffic(buckets, "24 h", UTC) == "No traffic recorded in the last 24 h."


def test_it_lists_ten_gaps_in_words_and_counts_the_rest() -> None:
    changes = []
    for hour in range(12):
        changes += [Change(_at(hour), DOWN, f"d{hour}"), Change(_at(hour + 0.5), UP)]
    result = availability(changes, start=START, end=END, before=Change(_at(-1), UP))
    text = describe(result, "24 h", UTC)
    assert "down 12 times" in text and "(d9)" in text and "(d10)" not in text
    assert text.endswith("; and 2 more.")


def test_it_counts_no_outage_before_the_connection_first_came_up() -> None:
    created = Change(_at(6), "pending", "Waiting for the router to apply it.")
    result = availability(
        [created, Change(_at(6.5), UP), Change(_at(18), DOWN, "d")],
        start=START,
        end=END,
        before=None,
        first_up=_at(6.5),
    )
    assert result.percent == pytest.approx(100 * 11.5 / 17.5)
    assert [(g.start, g.end, g.reason) for g in result.gaps] == [(_at(18), END, "d")]


def test_it_says_a_connection_not_yet_up_is_not_down() -> None:
    result = availability(
        [Change(_at(23), "connecting", "Negotiating.")],
        start=START,
        end=END,
        before=None,
        first_up=None,
    )
    assert result.gaps == ()
    assert describe(result, "24 h", UTC) == "Not connected yet in the last 24 h."
