from django.apps import AppConfig


class AgentConfig(AppConfig):
    """The agent of a network node: its Celery tasks, VICI monitor, heartbeat and supervisor.
    The portal's request path never imports it (checked by the import contract)."""

    name = "agent"
    verbose_name = "Network node agent"
