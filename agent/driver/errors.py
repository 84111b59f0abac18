"""The router driver's exceptions. Every one is a DriverUnavailable, so a caller can catch that
alone."""


class DriverUnavailable(RuntimeError):
    """Namespaces and charons cannot be built here (not root, a tool missing), or the driver
    could not do what was asked."""


class DriverCommandError(DriverUnavailable):
    """A command or daemon failed; the message carries its output."""


class UnknownNode(DriverCommandError, LookupError):
    """No namespace node of that name on this host."""


class InvalidNode(DriverUnavailable, ValueError):
    """A node name or address the driver will not build."""
