from django.apps import AppConfig


class VpnConfig(AppConfig):
    name = "vpn"
    verbose_name = "Site-to-Site VPN"

    def ready(self) -> None:
        from vpn import live, receivers  # noqa: F401 - connects the VPN layer's signal receivers
