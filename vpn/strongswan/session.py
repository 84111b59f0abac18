"""A VICI session to a router's charon, by URI: `unix:///path` or `tcp://host:port`.

VICI has no authentication: a router's socket never leaves its network node; the node's agent
uses it over the local unix socket. The one helper for every VICI connection of the project
(agent, driver, lab, tests and bench).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import vici

from vpn.strongswan.errors import RouterUnreachable


def parse_uri(uri: str) -> tuple[str, str | tuple[str, int]]:
    """("unix", path) or ("tcp", (host, port)); ValueError for anything else."""
    parts = urlsplit(uri)
    if parts.scheme == "unix":
        path = parts.netloc + parts.path  # "unix:///run/x" and "unix://run/x" alike
        if not path:
            raise ValueError(f"{uri!r}: a unix URI needs a socket path")
        return "unix", path
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ValueError(f"{uri!r}: a tcp URI needs a host and a port")
        return "tcp", (parts.hostname, port)
    raise ValueError(f"{uri!r}: expected unix:///path or tcp://host:port")


def connect(uri: str, timeout: float | None = 5.0) -> socket.socket:
    """A connected socket to the VICI endpoint, with `timeout` left on it (None: blocking, for
    an event stream). Raises RouterUnreachable when it cannot be connected within 5 s."""
    _kind, address = parse_uri(uri)  # a socket path (unix) or (host, port) (tcp)
    connect_timeout = 5.0 if timeout is None else timeout
    try:
        if isinstance(address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(connect_timeout)
            try:
                sock.connect(address)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection(address, timeout=connect_timeout)
    except TimeoutError as exc:
        raise RouterUnreachable(uri, f"no answer within {connect_timeout:g}s") from exc
    except OSError as exc:
        raise RouterUnreachable(uri, exc.strerror or str(exc)) from exc
    sock.settimeout(timeout)
    return sock


@contextmanager
def open_session(uri: str, timeout: float = 5.0) -> Iterator[vici.Session]:
    """Connect within `timeout` seconds and yield a `vici.Session`; close it afterwards.

    The timeout stays on the socket, so a reply that does not start within it raises
    `TimeoutError`: give commands that wait (initiate with a timeout) less than this.
    Raises RouterUnreachable when the socket cannot be connected.
    """
    sock = connect(uri, timeout)
    try:
        yield vici.Session(sock)
    finally:
        sock.close()
