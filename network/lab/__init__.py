"""A lab of VPC routers and customer sites: network namespaces, each with its own charon.

Pure Python (subprocess, vici), no Django: usable from management commands, Celery tasks,
tests and benchmarks. See README.md beside this file.
"""

from network.lab.charon import session as vici_session
from network.lab.core import Lab, NodeStatus
from network.lab.errors import InvalidNode, LabCommandError, LabUnavailable, UnknownNode

__all__ = [
    "InvalidNode",
    "Lab",
    "LabCommandError",
    "LabUnavailable",
    "NodeStatus",
    "UnknownNode",
    "vici_session",
]
