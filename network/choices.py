from django.db import models
from django.utils.translation import gettext_lazy as _


class VpcState(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


class RouterState(models.TextChoices):
    PROVISIONING = "provisioning", _("Provisioning")
    RUNNING = "running", _("Running")
    UNREACHABLE = "unreachable", _("Unreachable")


class RouterProvider(models.TextChoices):
    LAB = "lab", _("Lab (network namespace on this host)")
    MANUAL = "manual", _("Registered by an operator")
