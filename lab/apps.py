from django.apps import AppConfig


class LabConfig(AppConfig):
    """The world outside, simulated: customer sites and several network nodes on one machine.
    Installed only where PORTAL_LAB=1 (demo, tests, bench)."""

    name = "lab"
    verbose_name = "Lab"

    def ready(self) -> None:
        from lab import receivers  # noqa: F401 - connects the lab's signal receivers
