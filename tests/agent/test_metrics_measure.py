"""What the agent measures (agent/measure.py): Prometheus bucket semantics, the sum over the
node's processes, the heartbeat that carries it, and the task latency from the sent header."""

import json
import time
from pathlib import Path

import pytest

from agent import measure, tasks
from agent.node import Node
from network.models import NetworkNode


def test_it_counts_a_value_on_a_bound_in_that_bucket(tmp_path: Path) -> None:
    recorder = measure.Recorder(tmp_path)
    recorder.observe("reconcile_seconds", 0.1)
    recorder.observe("reconcile_seconds", 0.3)
    recorder.observe("reconcile_seconds", 99)
    figures = recorder.snapshot()["reconcile_seconds"]
    cumulative = dict(figures["buckets"])
    assert (cumulative[0.05], cumulative[0.1], cumulative[0.25], cumulative[0.5]) == (0, 1, 1, 2)
    assert cumulative[60.0] == 2 and figures["count"] == 3
    assert figures["sum"] == pytest.approx(99.4)


def test_it_adds_up_the_histograms_of_every_process(tmp_path: Path) -> None:
    directory = tmp_path / measure.DIRECTORY  # each process writes its own file there
    worker, monitor = measure.Recorder(directory), measure.Recorder(directory)
    worker.observe("push_seconds", 0.2)
    worker.observe("push_seconds", 2.0)
    monitor.observe("push_seconds", 0.2)
    monitor.observe("event_lag_seconds", 0.02)
    collected = measure.collect(tmp_path)
    assert collected["push_seconds"]["count"] == 3
    assert dict(collected["push_seconds"]["buckets"])[0.25] == 2
    assert collected["event_lag_seconds"]["count"] == 1
    assert set(collected) == {"push_seconds", "event_lag_seconds"}


def test_it_passes_over_a_file_it_cannot_read(tmp_path: Path) -> None:
    measure.observe(tmp_path, "reconcile_seconds", 0.5)
    (tmp_path / measure.DIRECTORY / "123-half.json").write_text('{"reconcile_sec')
    assert measure.collect(tmp_path)["reconcile_seconds"]["count"] == 1


def test_it_times_a_block_that_raised(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), measure.timed(tmp_path, "push_seconds"):
        time.sleep(0.06)
        raise RuntimeError("charon said no")
    figures = measure.collect(tmp_path)["push_seconds"]
    assert figures["count"] == 1 and 0.06 <= figures["sum"] < 1


def test_it_forgets_what_an_earlier_run_measured(tmp_path: Path) -> None:
    (tmp_path / measure.DIRECTORY).mkdir()
    (tmp_path / measure.DIRECTORY / "1-old.json").write_text(
        json.dumps({"push_seconds": {"buckets": [], "count": 5, "sum": 1.0}})
    )
    measure.reset(tmp_path)
    assert measure.collect(tmp_path) == {}


@pytest.mark.django_db
def test_it_sends_the_measurements_with_the_heartbeat(node: Node) -> None:
    measure.observe(node.config.run_dir, "reconcile_seconds", 0.3)
    node.heartbeat()
    row = NetworkNode.objects.get(name=node.config.name)
    assert row.measurements == json.loads(json.dumps(measure.collect(node.config.run_dir)))
    assert row.measurements["reconcile_seconds"]["count"] == 1


@pytest.fixture
def latency(node: Node, monkeypatch):  # type: ignore[no-untyped-def]
    """Run the task_prerun receiver for a reconcile task with this request; its latencies."""
    monkeypatch.setattr(tasks, "this_node", lambda: node)

    def run(**request: object) -> dict:
        task = tasks.reconcile_router
        task.push_request(**{"retries": 0, "eta": None, **request})
        try:
            tasks.measure_latency(task=task)
        finally:
            task.pop_request()
        return measure.collect(node.config.run_dir).get("task_latency_seconds", {})

    return run


def test_it_measures_a_task_from_its_send_to_its_start(latency) -> None:  # type: ignore[no-untyped-def]
    figures = latency(s2s_sent_at=time.time() - 2.0)
    assert figures["count"] == 1 and 2.0 <= figures["sum"] < 3.0


def test_it_does_not_count_a_retry_as_latency(latency) -> None:  # type: ignore[no-untyped-def]
    assert latency(s2s_sent_at=time.time() - 2.0, retries=1) == {}


def test_it_does_not_count_a_message_without_its_send_time(latency) -> None:  # type: ignore[no-untyped-def]
    assert latency() == {}
