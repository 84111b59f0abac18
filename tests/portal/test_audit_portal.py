"""The audit log records each tenant action in the portal once: who, from where, on what."""

import pytest
from django.db import transaction
from django.urls import reverse

from network.actions import create_vpc
from portal.models import AuditEvent
from tests.vpn.test_portal_bad_input import GOOD
from vpn.models import CustomerGateway

VPC_FORM = {
    "name": "prod",
    "cidr": "10.1.0.0/16",
    "description": "",
    "tier_name": "web",
    "tier_cidr": "10.1.1.0/24",
    "tier_gateway": "",
}


@pytest.mark.django_db
def test_it_records_a_vpc_created_in_the_portal(alice_client, alice, pool, live_node) -> None:
    response = alice_client.post(reverse("network:vpc-create"), VPC_FORM)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="created")
    assert (event.actor, event.actor_name, event.account, event.via) == (
        alice,
        "alice",
        alice.account,
        "portal",
    )
    assert (event.object_type, event.object_label) == ("network.vpc", "prod")
    assert event.address == "127.0.0.1"


@pytest.mark.django_db
def test_it_records_the_address_the_trusted_proxy_saw(
    alice_client, pool, live_node, settings
) -> None:
    settings.PORTAL_PROXY_COUNT = 1
    alice_client.post(
        reverse("network:vpc-create"),
        VPC_FORM,
        HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.7",
    )
    assert AuditEvent.objects.get(action="created").address == "203.0.113.7"


@pytest.mark.django_db
def test_it_records_the_names_of_the_changed_fields_never_the_key(alice_client, connection) -> None:
    cgw = connection.customer_gateway
    new_key = "N3w-Pre-Shared-Key-of-alice"
    alice_client.post(
        reverse("vpn:customer-gateway-edit", args=[cgw.pk]),
        {**GOOD, "name": "hq", "gateway_ip": "203.0.113.77", "psk": new_key},
    )
    event = AuditEvent.objects.get(action="changed")
    assert event.object_type == "vpn.customergateway"
    assert event.object_label == "hq (203.0.113.77)"
    assert "gateway_ip" in event.detail["fields"] and "psk" in event.detail["fields"]
    assert new_key not in str(list(AuditEvent.objects.values()))


@pytest.mark.django_db
def test_it_records_a_reset(alice_client, alice, connection) -> None:
    alice_client.post(reverse("vpn:connection-reset", args=[connection.pk]))
    event = AuditEvent.objects.get(action="reset")
    assert (event.actor, event.object_id) == (alice, str(connection.pk))


@pytest.mark.django_db
def test_it_records_a_delete_with_the_objects_name(alice_client, alice) -> None:
    alice_client.post(reverse("vpn:customer-gateway-create"), GOOD)
    cgw = CustomerGateway.objects.get(name="branch")
    alice_client.post(reverse("vpn:customer-gateway-delete", args=[cgw.pk]))
    event = AuditEvent.objects.get(action="deleted")
    assert (event.object_label, event.object_id, event.account) == (
        "branch (203.0.113.50)",
        str(cgw.pk),
        alice.account,
    )


@pytest.mark.django_db
def test_it_records_a_configuration_download_with_the_device(alice_client, connection) -> None:
    url = reverse("vpn:connection-configuration", args=[connection.pk])
    alice_client.get(url)  # the dialog listing the devices is no download
    alice_client.get(url, {"download": "strongswan"})
    event = AuditEvent.objects.get(action="downloaded")
    assert (event.object_type, event.detail) == ("vpn.vpnconnection", {"device": "strongswan"})


@pytest.mark.django_db
def test_it_records_nothing_for_a_rolled_back_action(alice, pool, live_node) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        create_vpc(
            account=alice.account,
            name="gone",
            cidr="10.9.0.0/16",
            tier_name="a",
            tier_cidr="10.9.1.0/24",
        )
        raise RuntimeError("the caller's transaction fails after the action")
    assert not AuditEvent.objects.filter(object_label="gone").exists()


@pytest.mark.django_db
def test_it_records_an_action_outside_a_request_as_the_system(vpc) -> None:
    event = AuditEvent.objects.get(object_type="network.vpc")
    assert (event.via, event.actor, event.address) == ("system", None, None)
