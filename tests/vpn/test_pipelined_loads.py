"""A run of loads goes to charon pipelined on a real VICI session; each is answered alone."""

import socket
import threading

import vici
from vici.protocol import FiniteStream, Message, Packet, Transport

from vpn.reconcile import Actual, Desired, apply, plan

from .specs import make_spec


class OrderlyCharon(threading.Thread):
    """Answers commands in the order they came, as charon does, refusing the load-conn of the
    names in `refuse`; it reads all `expected` commands before answering the first, so a client
    that waited for each answer would never get one."""

    def __init__(self, sock: socket.socket, expected: int, refuse: set[str]) -> None:
        super().__init__(daemon=True)
        self.transport, self.expected, self.refuse = Transport(sock), expected, refuse
        self.commands: list[str] = []

    def run(self) -> None:
        received = [self.transport.receive() for _ in range(self.expected)]
        for raw in received:
            assert raw[0] == Packet.CMD_REQUEST
            command = raw[2 : 2 + raw[1]].decode()
            self.commands.append(command)
            names = set(Message.deserialize(FiniteStream(raw[2 + raw[1] :])))
            if command == "load-conn" and names & self.refuse:
                answer = {"success": "no", "errmsg": "config discarded"}
            else:
                answer = {"success": "yes"}
            self.transport.send(bytes([Packet.CMD_RESPONSE]) + Message.serialize(answer))


def test_it_pipelines_loads_and_fails_only_the_refused_one() -> None:
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    desired = [Desired.of(make_spec(connection_id=cid), None) for cid in (1, 2, 3)]
    ops = plan(desired, Actual(conns=frozenset(), shared_ids=frozenset(), ike_sas={}))
    loads = [op for op in ops if op.kind in ("load_shared", "load_conn")]
    charon = OrderlyCharon(theirs, len(loads), refuse={"vpn-2"})
    charon.start()
    results = apply(vici.Session(ours), loads)
    charon.join(5)
    assert charon.commands == ["load-shared", "load-conn"] * 3
    assert [(r.op.kind, r.op.connection_id, r.ok) for r in results] == [
        ("load_shared", 1, True),
        ("load_conn", 1, True),
        ("load_shared", 2, True),
        ("load_conn", 2, False),
        ("load_shared", 3, True),
        ("load_conn", 3, True),
    ]
    assert results[3].error == "config discarded"
