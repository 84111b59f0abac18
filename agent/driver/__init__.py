"""The router driver: network namespaces on this host, each with its own charon and VICI
socket, joined to an external bridge that carries their public addresses.

Pure Python (subprocess, vici), no Django: the agent builds routers with it, and the lab builds
its customer sites with the same toolkit. See agent/driver/host.py.
"""

from agent.driver.errors import DriverCommandError, DriverUnavailable, InvalidNode, UnknownNode
from agent.driver.host import Host, NodeStatus

__all__ = [
    "DriverCommandError",
    "DriverUnavailable",
    "Host",
    "InvalidNode",
    "NodeStatus",
    "UnknownNode",
]
