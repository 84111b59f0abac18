"""Unit tests of the agent side: this process plays network node "unit" (a real Node and its
row; only the list of routers its driver holds is given, since nothing is built here)."""

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent import converge, monitor
from agent.driver.routers import NodeConfig
from agent.monitor import RouterWatch
from agent.node import Node
from network.models import NetworkNode, Router
from tests.vpn.conftest import cgw, gateway  # noqa: F401 - the VPN cast, for the agent tests


@pytest.fixture
def node(db, tmp_path: Path, monkeypatch) -> Iterator[Node]:  # type: ignore[no-untyped-def]
    the_node = Node(NodeConfig(name="unit", run_dir=tmp_path, prefix="tu", external_bridge="br0"))
    the_node.register()
    held: dict[int, int] = {}
    monkeypatch.setattr(the_node.driver, "local", lambda: dict(held))
    the_node.held = held  # type: ignore[attr-defined]
    monkeypatch.setattr(converge, "this_node", lambda: the_node)
    yield the_node


@pytest.fixture
def on_node(node: Node, gateway) -> Router:  # type: ignore[no-untyped-def]  # noqa: F811
    """The gateway's router, placed on the node and held there (built) at its generation."""
    router = gateway.vpc.router
    Router.objects.filter(pk=router.pk).update(node=node.row, generation=1, state="running")
    node.held[router.pk] = 1  # type: ignore[attr-defined]
    router.refresh_from_db()
    return router


@pytest.fixture
def elsewhere(db) -> NetworkNode:  # type: ignore[no-untyped-def]
    return NetworkNode.objects.create(name="other")


@pytest.fixture
def watch(on_node: Router, monkeypatch, tmp_path: Path) -> RouterWatch:  # type: ignore[no-untyped-def]
    """A monitor of the node's router that charon never answers: list-sas shows no IKE SA (a
    test replaces `_sas` for more), leaving Connected is not paused over, and the event lag is
    written under tmp_path."""
    node = SimpleNamespace(config=SimpleNamespace(run_dir=tmp_path))
    monkeypatch.setattr(monitor, "this_node", lambda: node)
    monkeypatch.setattr(monitor, "CONFIRM_DOWN_AFTER", 0)
    the_watch = RouterWatch(on_node.pk, "unix:///nowhere")
    monkeypatch.setattr(the_watch, "_sas", lambda name: [])
    return the_watch
