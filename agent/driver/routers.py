"""The routers of one network node: a namespace and a charon per router (agent side only).

Router ``id`` is the namespace node ``r{id}`` of the node's Host; its node.json records the
generation it was built for, so a node can tell which of its copies the portal moved elsewhere.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from agent.driver import charon
from agent.driver.host import Host


@dataclass(frozen=True)
class NodeConfig:
    """What a network node is and how its routers reach the public network."""

    name: str
    run_dir: Path
    prefix: str
    external_bridge: str
    external_netns: str = ""  # "" = the root namespace (a production node's br-ex)
    external_routes: tuple[str, ...] = ("0.0.0.0/0",)
    datapath: str = "auto"
    capacity: int = 100

    @property
    def queue(self) -> str:
        return f"node-{self.name}"


class RouterDriver:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.datapath = charon.choose_datapath(config.datapath)
        self.host = Host(
            config.run_dir,
            config.prefix,
            external_ns=config.external_netns,
            bridge=config.external_bridge,
            own_external=False,
            routes=config.external_routes,
            public_ranges=None,
            datapath=self.datapath,
        )

    @staticmethod
    def name(router_id: int) -> str:
        return f"r{router_id}"

    @staticmethod
    def router_id(name: str) -> int | None:
        return int(name[1:]) if name.startswith("r") and name[1:].isdigit() else None

    def build(
        self, router_id: int, generation: int, public_ip: str, inside: list[tuple[str, str]]
    ) -> str:
        """Make the router match (idempotent); returns its VICI URI."""
        ipaddress.IPv4Address(public_ip)
        return self.host.add_router(self.name(router_id), public_ip, inside, generation=generation)

    def remove(self, router_id: int) -> None:
        self.host.remove(self.name(router_id))

    def local(self) -> dict[int, int]:
        """Router id → generation of every router this node holds."""
        found = {}
        for name, spec in self.host.specs().items():
            router_id = self.router_id(name)
            if router_id is not None:
                found[router_id] = spec.generation
        return found

    def uri(self, router_id: int) -> str:
        return self.host.vici_uri(self.name(router_id))

    def charon_running(self, router_id: int) -> bool:
        return charon.running_pid(self.host.base_dir / self.name(router_id)) is not None

    def ensure(self, router_id: int) -> bool:
        """Rebuild what is missing of this router (namespace, links, charon) from its spec;
        returns whether its charon had to be started."""
        return self.host.ensure(self.name(router_id))

    def log_tail(self, router_id: int) -> str:
        return charon.log_tail(self.host.base_dir / self.name(router_id), lines=3)
