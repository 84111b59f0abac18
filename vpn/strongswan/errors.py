"""Errors of the strongSwan control plane."""


class RouterUnreachable(ConnectionError):
    """charon's VICI socket at `uri` could not be reached; `reason` says why.

    Transient as far as the caller knows: the router may be restarting.
    """

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"cannot reach the router's VICI socket {uri}: {reason}")
        self.uri = uri
        self.reason = reason
