"""A connection's history: what happened to it (the timeline) and its traffic counters over time.

Written by the node agents (through their own database role: row-level security lets a node
insert rows only for connections on its own routers), read by the connection's detail page,
pruned after PORTAL_HISTORY_RETENTION_DAYS by beat (vpn.tasks.prune_history). Both tables are
indexed by (connection, newest first), so that one connection's page costs the same with a
year of rows, and by time alone for the pruning.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.badges import Badge
from vpn.choices import STATE_STYLE, ConnectionState, EventKind

# Labels by value, made once: get_kind_display() rebuilds the field's choices as a dict on
# each call, which the timeline's 50 rows a page felt.
_KIND_LABELS = dict(EventKind.choices)


class ConnectionEvent(models.Model):
    """One thing that happened to a connection: a state change with its reason, a rekey, a
    reset, a configuration push, a restart of its router."""

    tenant_path = "connection__gateway__vpc__account"

    connection = models.ForeignKey(
        "vpn.VpnConnection",
        verbose_name=_("VPN connection"),
        on_delete=models.CASCADE,  # the history goes with its connection
        related_name="events",
    )
    at = models.DateTimeField(verbose_name=_("at"), default=timezone.now)
    kind = models.CharField(verbose_name=_("what"), max_length=24, choices=EventKind.choices)
    state = models.CharField(
        verbose_name=_("state after"),
        max_length=16,
        choices=ConnectionState.choices,
        blank=True,
        help_text=_("Empty when the event says nothing of the state (a restart, a push)."),
    )
    reason = models.CharField(verbose_name=_("reason"), max_length=255, blank=True)
    detail = models.JSONField(
        verbose_name=_("detail"),
        null=True,  # a router's restart is written for all its connections in one INSERT
        blank=True,
        help_text=_("A few facts for operators, e.g. what the agent observed."),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("connection event")
        verbose_name_plural = _("connection events")
        indexes = [
            models.Index(fields=["connection", "-at"], name="vpn_event_connection_at"),
            models.Index(fields=["at"], name="vpn_event_at"),
        ]

    def __str__(self) -> str:
        return f"vpn-{self.connection_id} {self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"

    def get_absolute_url(self) -> str:
        return self.connection.get_detail_url()

    @property
    def state_style(self) -> Badge:
        return STATE_STYLE.get(self.state, Badge("idle", "·"))

    @property
    def kind_label(self) -> str:
        """What get_kind_display() says."""
        return str(_KIND_LABELS.get(self.kind, self.kind))


class TrafficSample(models.Model):
    """The connection's cumulative counters as charon reported them, at most once per sample
    period (the sweep writes one when the period has passed and the tunnel is up or moved
    traffic). Counters restart from zero with each new SA: the chart reads only increases."""

    tenant_path = "connection__gateway__vpc__account"

    connection = models.ForeignKey(
        "vpn.VpnConnection",
        verbose_name=_("VPN connection"),
        on_delete=models.CASCADE,
        related_name="samples",
    )
    at = models.DateTimeField(verbose_name=_("at"), default=timezone.now)
    bytes_in = models.BigIntegerField(verbose_name=_("bytes in"), default=0)
    bytes_out = models.BigIntegerField(verbose_name=_("bytes out"), default=0)
    packets_in = models.BigIntegerField(verbose_name=_("packets in"), default=0)
    packets_out = models.BigIntegerField(verbose_name=_("packets out"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("traffic sample")
        verbose_name_plural = _("traffic samples")
        indexes = [
            models.Index(fields=["connection", "-at"], name="vpn_sample_connection_at"),
            models.Index(fields=["at"], name="vpn_sample_at"),
        ]

    def __str__(self) -> str:
        return f"vpn-{self.connection_id} traffic at {self.at:%Y-%m-%d %H:%M:%S}"

    def get_absolute_url(self) -> str:
        return self.connection.get_detail_url()
