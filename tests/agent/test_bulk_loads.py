"""A router loaded in bulk (agent.loading): its worker marks it while the loads run, the node's
bulk gate tells the router's monitor, and the monitor leaves charon's log and holds its batch
until the loads are over. A fake VICI peer (a socket pair) stands in for charon; the lab test
tests/e2e/test_bulk_load.py runs a real one."""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from vici.protocol import FiniteStream, Message, Packet, Transport

from agent import converge, loading, monitor
from agent.monitor import BulkGate, RouterWatch
from agent.stream import EventStream
from network.models import Router
from tests.agent.test_converge_refusal import RefusingSession
from tests.vpn.specs import make_spec
from vpn.reconcile import Desired

WAIT = 5.0


def _event(name: str, body: dict[str, object]) -> bytes:
    label = name.encode()
    return struct.pack("!BB", Packet.EVENT, len(label)) + label + Message.serialize(body)


def _request(raw: bytes) -> tuple[int, str]:
    """(packet type, the event it names) of a (de)registration the client sent."""
    stream = FiniteStream(raw)
    kind, length = struct.unpack("!BB", stream.read(2))
    return kind, stream.read(length).decode()


CONFIRM = bytes([Packet.EVENT_CONFIRM])


# -- the stream ----------------------------------------------------------------------------


def test_the_stream_keeps_events_sent_while_it_registers_and_toggles_while_read() -> None:
    ours, charon_end = socket.socketpair()
    charon = Transport(charon_end)
    stream = EventStream(ours)

    def charon_side() -> None:
        assert _request(charon.receive()) == (Packet.EVENT_REGISTER, "ike-updown")
        charon.send(CONFIRM)
        assert _request(charon.receive()) == (Packet.EVENT_REGISTER, "log")
        # An event of the first registration arrives before the second is confirmed.
        charon.send(_event("ike-updown", {"up": "yes"}))
        charon.send(CONFIRM)

    side = threading.Thread(target=charon_side)
    side.start()
    stream.register(["ike-updown", "log"])
    side.join(WAIT)
    assert stream.registered == {"ike-updown", "log"}

    assert stream.toggle("log", False) is True
    assert stream.toggle("log", False) is False  # already left: nothing sent
    assert _request(charon.receive()) == (Packet.EVENT_UNREGISTER, "log")
    charon.send(CONFIRM)  # the answer comes in the stream, between the events
    charon.send(_event("ike-updown", {"up": "no"}))
    assert stream.toggle("log", True) is True
    assert _request(charon.receive()) == (Packet.EVENT_REGISTER, "log")
    charon.send(CONFIRM)
    charon.send(_event("log", {"msg": "back"}))
    charon_end.close()

    events = []
    with pytest.raises(OSError):
        for label, message in stream:
            events.append((label, message.get("up", message.get("msg"))))
    assert events == [(b"ike-updown", b"yes"), (b"ike-updown", b"no"), (b"log", b"back")]
    assert stream.answered == 2  # the toggles' answers, passed over
    ours.close()


# -- the worker's mark ---------------------------------------------------------------------


def test_a_mark_is_there_while_its_block_runs_and_a_stale_one_is_ignored(tmp_path: Path) -> None:
    with loading.marked(tmp_path, 7):
        assert loading.routers(tmp_path) == {7}
    assert loading.routers(tmp_path) == set()
    with loading.marked(tmp_path, 8):
        old = time.time() - loading.STALE - 1  # its worker died while it loaded
        os.utime(tmp_path / loading.DIRECTORY / "8", (old, old))
        assert loading.routers(tmp_path) == set()
    (tmp_path / loading.DIRECTORY / "notes.txt").write_text("not a router")
    assert loading.routers(tmp_path) == set()


@pytest.mark.django_db
def test_the_worker_marks_a_router_only_while_it_loads_many(
    node, on_node: Router, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    @contextmanager
    def fake_open_session(uri: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
        yield RefusingSession()  # empty; its refusals are not asked here (apply is ours)

    marks: list[set[int]] = []

    def fake_apply(session: object, ops: list) -> list:
        marks.append(loading.routers(node.config.run_dir))
        return []

    monkeypatch.setattr(converge, "open_session", fake_open_session)
    monkeypatch.setattr(converge, "apply", fake_apply)
    many = [
        Desired.of(make_spec(connection_id=pk), None) for pk in range(1, converge.BULK_LOADS + 1)
    ]
    converge._converge(on_node, many)
    converge._converge(on_node, many[:1])  # an add's push: no mark
    assert marks == [{on_node.pk}, set()]
    assert loading.routers(node.config.run_dir) == set()


# -- the monitor ---------------------------------------------------------------------------


def test_the_monitor_leaves_the_log_while_its_router_loads_in_bulk(watch: RouterWatch) -> None:
    ours, charon_end = socket.socketpair()
    charon = Transport(charon_end)
    charon_end.settimeout(WAIT)
    watch._stream = EventStream(ours)
    watch._stream.registered = {*monitor.STATES, monitor.LOG}
    watch.bulk(True)
    assert _request(charon.receive()) == (Packet.EVENT_UNREGISTER, "log")
    watch.bulk(True)  # told again: nothing more sent
    watch.bulk(False)
    assert _request(charon.receive()) == (Packet.EVENT_REGISTER, "log")
    ours.close()
    charon_end.close()


def test_the_log_stays_left_while_the_negotiations_after_a_bulk_load_go_on(
    watch: RouterWatch,
) -> None:
    ours, charon_end = socket.socketpair()
    charon = Transport(charon_end)
    charon_end.settimeout(0.3)
    watch._stream = EventStream(ours)
    watch._stream.registered = {*monitor.STATES, monitor.LOG}
    watch.bulk(True)
    assert _request(charon.receive()) == (Packet.EVENT_UNREGISTER, "log")
    watch._last_event = time.monotonic()  # a tunnel just came up
    watch.bulk(False)
    with pytest.raises(TimeoutError):  # still left: nothing sent
        charon.receive()
    watch._last_event -= monitor.SETTLE_QUIET  # no event for a while: settled
    watch.bulk(False)
    assert _request(charon.receive()) == (Packet.EVENT_REGISTER, "log")
    ours.close()
    charon_end.close()


def test_the_monitor_holds_its_batch_until_the_bulk_load_ends(
    watch: RouterWatch, monkeypatch
) -> None:
    flushed = threading.Event()
    monkeypatch.setattr(watch, "flush", flushed.set)
    monkeypatch.setattr(monitor, "BULK_HOLD", 60.0)
    watch.bulk(True)
    writer = threading.Thread(target=watch._write, daemon=True)
    writer.start()
    watch._note(1, "vpn-1", ("state", "ike-updown"), down=False)
    assert not flushed.wait(0.5)  # held while the router loads
    watch.bulk(False)
    assert flushed.wait(WAIT)
    watch.stop()
    writer.join(WAIT)


def test_the_gate_tells_each_monitor_when_its_router_loads(tmp_path: Path) -> None:
    told: list[tuple[int, bool]] = []

    class Watch:
        def __init__(self, router_id: int) -> None:
            self.router_id, self.loading = router_id, False

        def bulk(self, now_loading: bool) -> None:
            if now_loading != self.loading:
                self.loading = now_loading
                told.append((self.router_id, now_loading))

    watches = {1: Watch(1), 2: Watch(2)}
    gate = BulkGate(tmp_path, lambda: watches)  # type: ignore[arg-type, return-value]
    gate.start()
    try:
        with loading.marked(tmp_path, 2):
            _until(lambda: told == [(2, True)])
        _until(lambda: told == [(2, True), (2, False)])
    finally:
        gate.stop()
        gate.join(WAIT)


def _until(condition) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the gate never told the monitor"
        time.sleep(0.01)


# -- a charon restarted: the monitor follows the new one at once -------------------------------


class FakeCharon(threading.Thread):
    """A VICI socket that confirms every registration; `drop()` closes its connections (charon
    died) and it keeps accepting (the new charon)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(8)
        self.accepted: list[socket.socket] = []

    def run(self) -> None:
        while True:
            try:
                peer, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(peer)
            threading.Thread(target=self._confirm, args=(peer,), daemon=True).start()

    @staticmethod
    def _confirm(peer: socket.socket) -> None:
        transport = Transport(peer)
        try:
            while True:
                transport.receive()
                transport.send(CONFIRM)
        except OSError:
            pass

    def drop(self) -> None:
        for peer in self.accepted:
            peer.shutdown(socket.SHUT_RDWR)


def test_a_lost_stream_tells_the_agent_and_follows_again_when_told(
    watch: RouterWatch, tmp_path: Path, monkeypatch
) -> None:
    charon = FakeCharon(tmp_path / "charon.vici")
    charon.start()
    lost = threading.Event()
    watch.uri, watch.on_lost = f"unix://{tmp_path / 'charon.vici'}", lost.set
    monkeypatch.setattr(watch, "_on_connected", lambda: None)  # no reconcile, no sweep here
    monkeypatch.setattr(watch, "_on_lost", lambda: None)
    monkeypatch.setattr(monitor, "BACKOFF_FIRST", 3600.0)  # only follow_again() ends the wait
    watch.start()
    try:
        assert watch.connected.wait(WAIT)
        charon.drop()
        assert lost.wait(WAIT)  # the agent's supervision looks at charon now
        _until(lambda: not watch.connected.is_set())
        watch.follow_again()  # the supervision restarted charon
        assert watch.connected.wait(WAIT)
    finally:
        watch.stop()
        charon.server.close()
        watch.join(WAIT)
