"""The lab's exceptions. Every one is a LabUnavailable, so a caller can catch that alone."""


class LabUnavailable(RuntimeError):
    """The lab cannot run here (not root, a tool missing) or could not do what was asked."""


class LabCommandError(LabUnavailable):
    """A command or daemon of the lab failed; the message carries its output."""


class UnknownNode(LabCommandError, LookupError):
    """No node of that name in this lab."""


class InvalidNode(LabUnavailable, ValueError):
    """A node name or address the lab will not build (e.g. a public address outside the
    documentation ranges: the lab never uses real addresses)."""
