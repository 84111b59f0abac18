from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.badges import Badge


class VpcState(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


# The one badge of each VPC state, for pages and admin alike (portal.badges).
VPC_STATE_STYLE: dict[str, Badge] = {
    VpcState.ENABLED: Badge("ok", "●"),
    VpcState.DISABLED: Badge("idle", "○"),
}


class RouterState(models.TextChoices):
    UNSCHEDULED = "unscheduled", _("Waiting for a network node")
    PROVISIONING = "provisioning", _("Provisioning")
    RUNNING = "running", _("Running")
    RESTARTING = "restarting", _("Restarting")
    FAILED = "failed", _("Failed")
    UNREACHABLE = "unreachable", _("Unreachable")


# The one badge of each router state, for pages and admin alike (portal.badges).
ROUTER_STATE_STYLE: dict[str, Badge] = {
    RouterState.UNSCHEDULED: Badge("info", "○"),
    RouterState.PROVISIONING: Badge("info", "◐"),
    RouterState.RUNNING: Badge("ok", "●"),
    RouterState.RESTARTING: Badge("warn", "◐"),
    RouterState.FAILED: Badge("bad", "✕"),
    RouterState.UNREACHABLE: Badge("bad", "✕"),
}

# What a tenant reads about their router's health: plain sentences, never a host, a path or a
# daemon's words (those are in Router.state_reason, for operators).
TENANT_ROUTER_MESSAGES = {
    RouterState.UNSCHEDULED: _("The VPN router is waiting for capacity in the cloud."),
    RouterState.PROVISIONING: _("The VPN router is being built."),
    RouterState.RUNNING: "",
    RouterState.RESTARTING: _("The VPN router is restarting."),
    RouterState.FAILED: _("The VPN router has failed; the operators have been told."),
    RouterState.UNREACHABLE: _("The VPN router cannot be reached at the moment."),
}


class Datapath(models.TextChoices):
    KERNEL = "kernel", _("Kernel ESP")
    LIBIPSEC = "libipsec", _("Userspace ESP (kernel-libipsec)")
