"""The devices whose configuration the API can download, from vpn.device_configs' templates."""

from vpn.device_configs import TEMPLATES


def device_files() -> dict[str, str]:
    """Device key -> the end of the downloaded file's name (the template's, without ".j2")."""
    return {key: name.removesuffix(".j2") for key, name in sorted(TEMPLATES.items())}
