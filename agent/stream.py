"""A VICI event stream whose registrations change while it is read.

The vici package's `Session.listen` registers its events when first iterated and keeps them
until closed. The monitor needs to stop and resume one of them (charon's log, while a router
loads in bulk) without closing the stream, which would lose the state events in between. The
protocol allows it: a client may send EVENT_REGISTER or EVENT_UNREGISTER at any time, and charon
answers each with EVENT_CONFIRM (or EVENT_UNKNOWN) in the stream, between the events. So:

- `register()` registers the initial events, one after another, before anything is read, in
  the reader's thread; events of those already registered that arrive meanwhile are kept, not
  dropped (as `listen` drops them);
- iterating yields each event as (label, message) and passes over the answers to toggles;
- `toggle()`, from any thread once the reader reads, sends a (de)registration and returns at
  once: the reader passes over its answer. charon handles a connection's requests in order, so
  events of the toggled type stop (or start) right after the answer in the stream.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from vici.exception import EventUnknownException, SessionException
from vici.protocol import Message, Packet, Transport


class EventStream:
    def __init__(self, sock: socket.socket) -> None:
        self.transport = Transport(sock)
        self._early: deque[tuple[bytes, dict[str, Any]]] = deque()
        self._sending = threading.Lock()
        self.registered: set[str] = set()
        self.answered = 0  # answers to toggles the reader passed over

    def register(self, events: Iterable[str]) -> None:
        """Register these events, waiting for each confirmation (before the stream is read)."""
        for event in events:
            with self._sending:
                self.transport.send(Packet.register_event(event))
            while True:
                packet = Packet.parse(self.transport.receive())
                if packet.response_type == Packet.EVENT:
                    self._early.append((packet.event_type, Message.deserialize(packet.payload)))
                    continue
                if packet.response_type == Packet.EVENT_UNKNOWN:
                    raise EventUnknownException(f"Unknown event type '{event}'")
                if packet.response_type != Packet.EVENT_CONFIRM:
                    raise SessionException(
                        f"Unexpected response type {packet.response_type} to registering {event}"
                    )
                break
            self.registered.add(event)

    def toggle(self, event: str, on: bool) -> bool:
        """(De)register `event` without waiting for charon's answer; True when something was
        sent (False: already so). Socket errors propagate (the stream is broken: its reader
        finds out too)."""
        with self._sending:
            if (event in self.registered) == on:
                return False
            packet = Packet.register_event(event) if on else Packet.unregister_event(event)
            self.transport.send(packet)
            if on:
                self.registered.add(event)
            else:
                self.registered.discard(event)
            return True

    def __iter__(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        while self._early:
            yield self._early.popleft()
        while True:
            packet = Packet.parse(self.transport.receive())
            if packet.response_type == Packet.EVENT:
                yield packet.event_type, Message.deserialize(packet.payload)
            elif packet.response_type in (Packet.EVENT_CONFIRM, Packet.EVENT_UNKNOWN):
                self.answered += 1
            else:
                raise SessionException(f"Unexpected response type {packet.response_type}")
