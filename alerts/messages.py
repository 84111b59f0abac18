"""What an alert says: one JSON body (the webhook's, and the data of the email's text), made
when the message is made so that every retry sends the same."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils import timezone

from alerts.choices import MessageKind
from alerts.models import Delivery, Incident
from portal.models import Account
from vpn.models import VpnConnection


def portal_url(path: str) -> str:
    return str(settings.PORTAL_BASE_URL).rstrip("/") + path


def connection_name(connection: VpnConnection) -> str:
    return f"vpn-{connection.pk} ({connection.customer_gateway.name})"


def incident_body(incident: Incident, kind: MessageKind) -> dict[str, Any]:
    members = incident.members.select_related(
        "connection__gateway__vpc", "connection__customer_gateway"
    ).order_by("connection_id", "pk")
    connections: list[dict[str, Any]] = []
    for member in members:
        connection = member.connection
        if connection is None:  # deleted since it went down
            connections.append({"id": None, "name": member.name, "state": "deleted"})
            continue
        connections.append(
            {
                "id": connection.pk,
                "name": member.name,
                "vpc": connection.gateway.vpc.name,
                "customer_gateway": connection.customer_gateway.name,
                "state": connection.state,
                "reason": connection.state_reason,
                "since": connection.state_changed.isoformat(),
                "down_since": member.down_since.isoformat(),
                "url": portal_url(connection.get_absolute_url()),
            }
        )
    return {
        "account": incident.account.name,
        "incident": incident.pk,
        "kind": str(kind),
        "opened": incident.opened.isoformat(),
        "closed": incident.closed.isoformat() if incident.closed else None,
        "connections": connections,
    }


def test_body(account: Account) -> dict[str, Any]:
    return {
        "account": account.name,
        "incident": None,
        "kind": str(MessageKind.TEST),
        "sent": timezone.now().isoformat(),
        "connections": [],
    }


def encoded(delivery: Delivery) -> bytes:
    """The webhook's body: the stored JSON, compact, keys sorted (what is signed)."""
    return json.dumps(delivery.body, sort_keys=True, separators=(",", ":")).encode()


def subject(delivery: Delivery) -> str:
    body = delivery.body
    count = len(body["connections"])
    if delivery.kind == MessageKind.TEST:
        return f"[S2S VPN] Test message for {body['account']}"
    if delivery.kind == MessageKind.DOWN:
        return f"[S2S VPN] {count} VPN connection(s) down ({body['account']})"
    return f"[S2S VPN] Recovered: incident {body['incident']} ({body['account']})"


def text(delivery: Delivery) -> str:
    """The email's plain text."""
    body = delivery.body
    if delivery.kind == MessageKind.TEST:
        return (
            f"This is a test message from the S2S VPN portal for the account {body['account']}.\n"
            "Alerts for this account will arrive like this one.\n"
        )
    if delivery.kind == MessageKind.DOWN:
        lines = [
            f"Incident {body['incident']} of {body['account']}, opened {body['opened']}:",
            "these VPN connections have been down longer than your alert threshold.",
            "",
        ]
    else:
        lines = [
            f"Incident {body['incident']} of {body['account']} is over ({body['closed']}):",
            "every VPN connection in it is Connected again (or was deleted).",
            "",
        ]
    for connection in body["connections"]:
        if connection["id"] is None:
            lines.append(f"- {connection['name']}: deleted")
            continue
        reason = f" - {connection['reason']}" if connection["reason"] else ""
        lines.append(
            f"- {connection['name']} (VPC {connection['vpc']}, customer gateway "
            f"{connection['customer_gateway']}): {connection['state']} since "
            f"{connection['since']}{reason}\n  {connection['url']}"
        )
    return "\n".join(lines) + "\n"
