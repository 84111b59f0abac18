"""No secret ever lands in the audit log: the hostile suite's canary key goes through every
path that records (create, edit, download in the portal and the API) and is never in a row."""

import pytest
from django.urls import reverse

from api.actions import create_token
from portal.models import AuditEvent
from tests.hostile.watch import CANARY
from tests.vpn.test_portal_bad_input import GOOD
from vpn.actions import create_connection, create_gateway
from vpn.models import CustomerGateway


@pytest.mark.django_db
def test_it_never_writes_the_canary_key_or_a_token_into_the_log(alice_client, alice, vpc) -> None:
    alice_client.post(reverse("vpn:customer-gateway-create"), {**GOOD, "psk": CANARY})
    cgw = CustomerGateway.objects.get(name="branch")
    assert cgw.get_psk() == CANARY
    alice_client.post(
        reverse("vpn:customer-gateway-edit", args=[cgw.pk]),
        {**GOOD, "psk": CANARY + "-2"},
    )
    connection = create_connection(create_gateway(vpc)[0], cgw, passive=False)
    alice_client.get(
        reverse("vpn:connection-configuration", args=[connection.pk]), {"download": "strongswan"}
    )
    _token, plaintext = create_token(user=alice, name="ci")
    rows = str(list(AuditEvent.objects.values()))
    assert AuditEvent.objects.count() >= 5
    assert CANARY not in rows
    assert plaintext not in rows
