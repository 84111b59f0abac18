"""A VICI session to a router's charon, by URI: `unix:///path` or `tcp://host:port`.

VICI has no authentication: in production the worker beside each router uses the local
unix socket, and a tcp URI is for the lab or a socket that never leaves the host.
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


@contextmanager
def open_session(uri: str, timeout: float = 5.0) -> Iterator[vici.Session]:
    """Connect within `timeout` seconds and yield a `vici.Session`; close it afterwards.

    The timeout stays on the socket, so a reply that does not start within it raises
    `TimeoutError`: give commands that wait (initiate with a timeout) less than this.
    Raises RouterUnreachable when the socket cannot be connected.
    """
    _kind, address = parse_uri(uri)  # a socket path (unix) or (host, port) (tcp)
    try:
        if isinstance(address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(address)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection(address, timeout=timeout)
    except TimeoutError as exc:
        raise RouterUnreachable(uri, f"no answer within {timeout:g}s") from exc
    except OSError as exc:
        raise RouterUnreachable(uri, exc.strerror or str(exc)) from exc
    try:
        yield vici.Session(sock)
    finally:
        sock.close()
