from django.apps import AppConfig


class VpnConfig(AppConfig):
    name = "vpn"
    verbose_name = "Site-to-Site VPN"
