"""The world outside the cloud, on one machine: an "internet" (a namespace holding a bridge),
the customer sites on it, and the settings of the network nodes that join it.

Sites are namespace nodes built with the same driver the network nodes use (agent.driver.Host),
with the lab's prefix; network nodes plug their routers into the same bridge. Every public
address lies in a documentation range, so nothing here can reach a real network.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from agent.driver import Host
from agent.driver.addressing import PUBLIC_RANGES
from agent.driver.routers import NodeConfig

BRIDGE = "br0"


@cache
def world() -> Host:
    """The lab's internet and its customer sites."""
    return Host(Path(settings.LAB_DIR) / "sites", prefix=settings.LAB_PREFIX, bridge=BRIDGE)


def node_config(name: str) -> NodeConfig:
    """A network node of the lab: its routers join the lab's internet."""
    return NodeConfig(
        name=name,
        run_dir=Path(settings.LAB_DIR) / "nodes" / name,
        prefix=f"{settings.LAB_PREFIX}-{name}",
        external_bridge=BRIDGE,
        external_netns=world().inet,
        external_routes=tuple(str(net) for net in PUBLIC_RANGES),
        datapath="auto",
    )


def lab_nodes() -> list[str]:
    """The names of the network nodes that have run in this lab (each has a run directory)."""
    nodes = Path(settings.LAB_DIR) / "nodes"
    return sorted(path.name for path in nodes.iterdir() if path.is_dir()) if nodes.is_dir() else []


def node_env(name: str) -> dict[str, str]:
    """The environment of a lab node's agent (what a real node's .env would hold)."""
    config = node_config(name)
    return {
        "NODE_NAME": name,
        "NODE_RUN_DIR": str(config.run_dir),
        "NODE_PREFIX": config.prefix,
        "NODE_EXTERNAL_BRIDGE": config.external_bridge,
        "NODE_EXTERNAL_NETNS": config.external_netns,
        "NODE_EXTERNAL_ROUTES": ",".join(config.external_routes),
        "NODE_DATAPATH": config.datapath,
    }
