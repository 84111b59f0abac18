from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from portal import receivers  # noqa: F401 - connects the audit log's auth receivers
