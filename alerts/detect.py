"""Finding incidents, from the portal's side (the node agents never write alert tables): run by
beat every PORTAL_ALERT_SCAN_SECONDS.

Per account with alert settings, under a lock on its settings row (so that two beats, or a beat
and an edit, never both open an incident):
- the connections down (Disconnected or Error) for longer than the account's threshold and in no
  open incident open ONE incident together (a router restart that drops fifty tunnels is one
  message listing them), with a "down" message per enabled channel;
- while an incident is open, connections that go down join it without a message;
- when every connection of the open incident is Connected again (or deleted), it closes with one
  "recovered" message per channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from alerts import messages
from alerts.choices import Channel, IncidentState, MessageKind
from alerts.models import AlertSettings, Delivery, Incident, IncidentConnection
from vpn import history
from vpn.choices import ConnectionState
from vpn.models import VpnConnection

log = logging.getLogger(__name__)

DOWN_STATES = (ConnectionState.DISCONNECTED, ConnectionState.ERROR)


@dataclass
class ScanResult:
    opened: list[int] = field(default_factory=list)  # incident ids
    joined: list[int] = field(default_factory=list)  # connection ids added to open incidents
    closed: list[int] = field(default_factory=list)  # incident ids
    deliveries: list[int] = field(default_factory=list)  # to send now


def threshold(alert_settings: AlertSettings) -> timedelta:
    """How long a connection must be down to count (minutes are PORTAL_ALERT_MINUTE_SECONDS
    long: 60, shortened by the end-to-end tests)."""
    seconds = alert_settings.down_after_minutes * int(settings.PORTAL_ALERT_MINUTE_SECONDS)
    return timedelta(seconds=seconds)


def scan(now: datetime) -> ScanResult:
    """One pass over every account with alert settings."""
    result = ScanResult()
    for account_id in AlertSettings.objects.values_list("account_id", flat=True):
        scan_account(account_id, now, result)
    return result


def scan_account(account_id: int, now: datetime, result: ScanResult) -> None:
    with transaction.atomic():
        alert_settings = (
            AlertSettings.objects.select_for_update()
            .select_related("account")
            .filter(account_id=account_id)
            .first()
        )
        if alert_settings is None:
            return
        connections = VpnConnection.objects.filter(gateway__vpc__account_id=account_id)
        down = list(
            connections.filter(
                state__in=DOWN_STATES, state_changed__lte=now - threshold(alert_settings)
            )
            .select_related("customer_gateway")
            .order_by("pk")
        )
        incident = Incident.objects.filter(account_id=account_id, closed__isnull=True).first()
        if incident is None:
            if down:
                _open(alert_settings, down, now, result)
            return
        members = set(incident.members.values_list("connection_id", flat=True))
        newcomers = [connection for connection in down if connection.pk not in members]
        if newcomers:
            _add_members(incident, newcomers, now)
            result.joined += [connection.pk for connection in newcomers]
            log.info(
                "incident %s of account %s: connections %s joined",
                incident.pk,
                account_id,
                [connection.pk for connection in newcomers],
            )
            return
        still_down = connections.filter(pk__in=members).exclude(state=ConnectionState.CONNECTED)
        if not still_down.exists():
            _close(alert_settings, incident, now, result)


def _add_members(incident: Incident, connections: list[VpnConnection], now: datetime) -> None:
    """Only connections still there (a tenant may be deleting one now; see vpn.history)."""
    alive = set(history.lock_alive(connection.pk for connection in connections))
    IncidentConnection.objects.bulk_create(
        [
            IncidentConnection(
                incident=incident,
                connection=connection,
                name=messages.connection_name(connection),
                down_since=connection.state_changed,
                joined=now,
            )
            for connection in connections
            if connection.pk in alive
        ]
    )


def _open(
    alert_settings: AlertSettings, down: list[VpnConnection], now: datetime, result: ScanResult
) -> None:
    incident = Incident.objects.create(account=alert_settings.account, opened=now)
    _add_members(incident, down, now)
    result.opened.append(incident.pk)
    result.deliveries += _messages(alert_settings, incident, MessageKind.DOWN, now)
    log.info(
        "incident %s of account %s opened: connections %s down",
        incident.pk,
        alert_settings.account_id,
        [connection.pk for connection in down],
    )


def _close(
    alert_settings: AlertSettings, incident: Incident, now: datetime, result: ScanResult
) -> None:
    incident.closed = now
    incident.state = IncidentState.RECOVERED
    incident.save(update_fields=["closed", "state"])
    result.closed.append(incident.pk)
    result.deliveries += _messages(alert_settings, incident, MessageKind.RECOVERED, now)
    log.info("incident %s of account %s recovered", incident.pk, alert_settings.account_id)


def _messages(
    alert_settings: AlertSettings, incident: Incident, kind: MessageKind, now: datetime
) -> list[int]:
    """One delivery per enabled channel, due now."""
    body = messages.incident_body(incident, kind)
    deliveries = []
    if alert_settings.email_enabled and alert_settings.emails:
        deliveries.append(
            Delivery(
                account=alert_settings.account,
                incident=incident,
                channel=Channel.EMAIL,
                kind=kind,
                target=", ".join(alert_settings.emails),
                body=body,
                next_try=now,
            )
        )
    if alert_settings.webhook_enabled and alert_settings.webhook_url:
        deliveries.append(
            Delivery(
                account=alert_settings.account,
                incident=incident,
                channel=Channel.WEBHOOK,
                kind=kind,
                target=alert_settings.webhook_url,
                body=body,
                next_try=now,
            )
        )
    return [delivery.pk for delivery in Delivery.objects.bulk_create(deliveries)]
