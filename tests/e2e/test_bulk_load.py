"""A real router charon: the monitor's stream leaves charon's log and follows it again without
being closed (agent.stream), as it does while its router loads in bulk."""

import threading

import pytest

from agent.stream import EventStream
from tests.e2e.helpers import lab_vpc, router_uri
from tests.stack import wait_for
from vpn.strongswan.session import connect, open_session

pytestmark = [pytest.mark.lab]


def _load_and_unload(uri: str, name: str) -> None:
    """A command charon logs ("added vici connection: <name>"), then its undoing."""
    with open_session(uri) as session:
        session.load_conn(
            {
                name: {
                    "remote_addrs": ["192.0.2.1"],
                    "local-1": {"auth": "psk"},
                    "remote-1": {"auth": "psk"},
                }
            }
        )
        session.unload_conn({"name": name})


def test_the_stream_leaves_the_log_and_follows_it_again(lab, stack, alice, pool) -> None:
    vpc = lab_vpc(alice)
    uri = router_uri(vpc)
    sock = connect(uri, timeout=None)
    stream = EventStream(sock)
    stream.register(["log"])
    lines: list[str] = []

    def read() -> None:
        try:
            for _label, message in stream:
                lines.append(message.get("msg", b"").decode())
        except OSError:
            pass  # closed by the test

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:

        def logged(name: str) -> bool:
            return any(name in line for line in lines)

        _load_and_unload(uri, "probe-before")
        wait_for(lambda: logged("probe-before"), what="charon's log of the first load")
        for on, probe in ((False, "probe-left"), (True, "probe-back")):
            answered = stream.answered
            stream.toggle("log", on)
            # charon's answer comes in the stream, which reads on: the load follows it.
            wait_for(lambda n=answered: stream.answered > n, what="charon's answer to the toggle")
            _load_and_unload(uri, probe)
        wait_for(lambda: logged("probe-back"), what="charon's log once followed again")
        assert not logged("probe-left")
    finally:
        sock.shutdown(2)
        sock.close()
        reader.join(5)
