"""The agent's loop lists its routers while its worker removes some (agent.driver Host.specs,
RouterDriver.local): a router removed between the listing and the read of its node.json is
left out instead of crashing the agent, as it did once in the benchmark's teardown."""

import json
import shutil
from pathlib import Path

import pytest

from agent.driver import Host
from agent.driver.routers import NodeConfig, RouterDriver


def _node(base: Path, name: str, generation: int) -> None:
    (base / name).mkdir(parents=True)
    spec = {
        "kind": "router",
        "public_ips": ["198.51.100.10"],
        "inside": [],
        "generation": generation,
    }
    (base / name / "node.json").write_text(json.dumps(spec))


@pytest.fixture
def removed_while_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """r1 and r2 on the node; r2's directory goes right after the listing saw it."""
    _node(tmp_path, "r1", 4)
    _node(tmp_path, "r2", 7)
    listing = Host._names

    def names_then_remove(self: Host) -> list[str]:
        names = listing(self)
        shutil.rmtree(tmp_path / "r2")  # the worker removes router 2 meanwhile
        return names

    monkeypatch.setattr(Host, "_names", names_then_remove)
    return tmp_path


def test_the_routers_still_there_are_listed(removed_while_listing: Path) -> None:
    config = NodeConfig(
        name="n1", run_dir=removed_while_listing, prefix="t1", external_bridge="br-ex"
    )
    assert RouterDriver(config).local() == {1: 4}


def test_the_specs_leave_the_removed_one_out(removed_while_listing: Path) -> None:
    specs = Host(removed_while_listing, "t1").specs()
    assert {name: spec.generation for name, spec in specs.items()} == {"r1": 4}
