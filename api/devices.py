"""The devices whose configuration the API can download: vpn.device_configs' registry."""

from vpn.device_configs import DEVICES


def device_files() -> dict[str, str]:
    """Device key -> the end of the downloaded file's name (vpn-<id>-<suffix>)."""
    return {key: device.suffix for key, device in DEVICES.items()}


def device_labels() -> dict[str, str]:
    return {key: device.label for key, device in DEVICES.items()}
