"""One gate: the portal, the admin site and the actions refuse the same customer gateways and
connections, and a connection's two ends always belong to one account."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.vpn.conftest import make_cgw
from tests.vpn.test_portal_bad_input import GOOD
from vpn.actions import create_connection, save_customer_gateway
from vpn.models import CustomerGateway, VpnConnection

CHARLIES_PSK = "Charlies-0wn-Secret"


@pytest.fixture
def charlies_cgw(charlie):  # type: ignore[no-untyped-def]
    return save_customer_gateway(
        CustomerGateway(name="branch", gateway_ip="203.0.113.20", cidr_list="192.168.20.0/24"),
        account=charlie.account,
        psk=CHARLIES_PSK,
    )


@pytest.fixture
def operator_client(client, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


def _admin_fields(**changes: str) -> dict[str, str]:
    """The admin's customer gateway form, filled in well (the key is `new_psk` there)."""
    fields = {key: value for key, value in GOOD.items() if key != "psk"}
    return {**fields, "new_psk": "Admin-Chosen-Key", **changes}


# The portal's form --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_in_the_portal_a_policy_charon_cannot_negotiate(alice_client) -> None:
    response = alice_client.post(
        reverse("vpn:customer-gateway-create"),
        {**GOOD, "ike_version": "ikev1", "ike_encryption": "aes128gcm16"},
    )
    assert response.status_code == 422
    assert "IKEv1 cannot protect its IKE SA with AES-GCM" in response.content.decode()
    assert not CustomerGateway.objects.exists()


# The actions (what the admin and an API call) --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"ike_encryption": "3des"}, "ike_encryption", "legacy algorithm"),
        ({"ike_version": "ikev1", "ike_encryption": "aes256gcm16"}, "ike_encryption", "IKEv1"),
        ({"cidr_list": "banana"}, "cidr_list", "is not a CIDR"),
        ({"gateway_ip": "10.0.0.1"}, "gateway_ip", "is a private address"),
        ({"gateway_ip": "198.51.100.10"}, "gateway_ip", "own public addresses"),
        ({"esp_encryption": "aes256", "esp_integrity": ""}, "esp_integrity", "Choose an"),
        ({"dpd_delay": 30, "dpd_timeout": 10}, "dpd_timeout", "longer than the delay"),
        ({"ike_lifetime": 60}, "ike_lifetime", "Must be 1200 to 86400 seconds"),
    ],
)
def test_it_refuses_in_the_action_what_the_portal_refuses(
    alice, pool, fields, field, message
) -> None:
    good = {"name": "hq", "gateway_ip": "203.0.113.10", "cidr_list": "192.168.10.0/24"}
    with pytest.raises(ValidationError) as refused:
        save_customer_gateway(
            CustomerGateway(**{**good, **fields}), account=alice.account, psk="Good-Key-123"
        )
    assert any(message in text for text in refused.value.message_dict[field])
    assert not CustomerGateway.objects.exists()


@pytest.mark.django_db
def test_it_normalises_addresses_in_the_action(alice) -> None:
    cgw = make_cgw(alice.account, ip=" 203.0.113.10 ", cidrs="192.168.10.0/24,\n192.168.11.0/24")
    cgw.refresh_from_db()
    assert (cgw.gateway_ip, cgw.cidr_list) == ("203.0.113.10", "192.168.10.0/24, 192.168.11.0/24")


@pytest.mark.django_db
def test_it_refuses_in_the_action_a_connection_between_two_accounts(
    gateway, charlies_cgw, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        create_connection(gateway, charlies_cgw, passive=False)
    assert "belongs to another account" in str(refused.value)
    assert not VpnConnection.objects.exists()
    assert callbacks == []


@pytest.mark.django_db
def test_it_refuses_on_the_model_a_connection_between_two_accounts(gateway, charlies_cgw) -> None:
    with pytest.raises(ValidationError) as refused:
        VpnConnection(gateway=gateway, customer_gateway=charlies_cgw).full_clean()
    assert "belongs to another account" in refused.value.message_dict["customer_gateway"][0]


@pytest.mark.django_db
def test_it_refuses_to_move_a_customer_gateway_to_another_account(alice, charlie, cgw) -> None:
    cgw.name = "moved"
    with pytest.raises(ValidationError) as refused:
        save_customer_gateway(cgw, account=charlie.account, psk="")
    assert "stays in its account" in str(refused.value)
    cgw.refresh_from_db()
    assert (cgw.account, cgw.name) == (alice.account, "hq")


# The download ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"download": "strongswan"}])
def test_it_never_hands_out_a_configuration_joining_two_accounts(
    alice_client, gateway, charlies_cgw, params
) -> None:
    # A row the gate refuses, as one made before it (or by hand) would be.
    joined = VpnConnection.objects.create(gateway=gateway, customer_gateway=charlies_cgw)
    url = reverse("vpn:connection-configuration", args=[joined.pk])
    response = alice_client.get(url, params)
    assert response.status_code == 404
    assert CHARLIES_PSK not in response.content.decode()


# The admin site -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cidr_list": "banana"}, "is not a CIDR"),
        ({"cidr_list": "192.168.1.0/24, 192.168.1.128/25"}, "overlap"),
        ({"gateway_ip": "10.0.0.1"}, "is a private address"),
        ({"gateway_ip": "not-an-ip"}, "is not a valid IPv4 address"),
        ({"ike_version": "ikev1", "ike_encryption": "aes128gcm16"}, "IKEv1 cannot protect"),
        ({"ike_encryption": "3des"}, "legacy algorithm"),
        ({"new_psk": "short"}, "8 to 64 characters"),
        ({"new_psk": ""}, "This field is required"),
    ],
)
def test_it_refuses_in_the_admin_what_the_portal_refuses(
    operator_client, alice, change, message
) -> None:
    response = operator_client.post(
        reverse("admin:vpn_customergateway_add"), _admin_fields(account=alice.account.pk, **change)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CustomerGateway.objects.exists()


@pytest.mark.django_db
def test_it_adds_a_customer_gateway_in_the_admin_through_the_action(operator_client, alice) -> None:
    response = operator_client.post(
        reverse("admin:vpn_customergateway_add"), _admin_fields(account=alice.account.pk)
    )
    assert response.status_code == 302
    cgw = CustomerGateway.objects.get()
    assert (cgw.account, cgw.get_psk()) == (alice.account, "Admin-Chosen-Key")


@pytest.mark.django_db
def test_it_refuses_an_admin_edit_that_breaks_a_connection(operator_client, gateway, cgw) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    response = operator_client.post(
        reverse("admin:vpn_customergateway_change", args=[cgw.pk]),
        _admin_fields(name="hq", gateway_ip=cgw.gateway_ip, cidr_list="10.1.0.0/24", new_psk=""),
    )
    assert response.status_code == 200
    assert "overlaps the VPC CIDR" in response.content.decode()
    cgw.refresh_from_db()
    assert cgw.cidr_list == "192.168.10.0/24"


@pytest.mark.django_db
def test_it_reapplies_connections_after_an_admin_edit(
    operator_client, gateway, cgw, django_capture_on_commit_callbacks
) -> None:
    connection = VpnConnection.objects.create(
        gateway=gateway, customer_gateway=cgw, state="connected"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = operator_client.post(
            reverse("admin:vpn_customergateway_change", args=[cgw.pk]),
            _admin_fields(
                name="hq", gateway_ip=cgw.gateway_ip, cidr_list=cgw.cidr_list, new_psk=""
            ),
        )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.state == "pending"
    assert len(callbacks) == 1  # the router's reconcile


@pytest.mark.django_db
def test_it_keeps_vpn_gateways_and_connections_read_only_in_the_admin(
    operator_client, gateway, cgw
) -> None:
    connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    assert operator_client.get(reverse("admin:vpn_vpngateway_add")).status_code == 403
    assert operator_client.get(reverse("admin:vpn_vpnconnection_add")).status_code == 403
    change = reverse("admin:vpn_vpnconnection_change", args=[connection.pk])
    assert operator_client.post(change, {"passive": "on"}).status_code == 403
    delete = reverse("admin:vpn_vpnconnection_delete", args=[connection.pk])
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    connection.refresh_from_db()
    assert not connection.passive


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["reset", "reapply"])
def test_it_lets_only_operators_who_may_change_connections_run_their_actions(
    client, django_user_model, gateway, cgw, action, django_capture_on_commit_callbacks
) -> None:
    connection = VpnConnection.objects.create(
        gateway=gateway, customer_gateway=cgw, state="connected", pushed_fingerprint="abc"
    )
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_vpnconnection"))
    client.force_login(staff)
    changelist = reverse("admin:vpn_vpnconnection_changelist")
    assert f'value="{action}"' not in client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(changelist, {"action": action, "_selected_action": [connection.pk]})
    connection.refresh_from_db()
    assert (connection.state, connection.pushed_fingerprint) == ("connected", "abc")
    assert callbacks == []

    staff.user_permissions.add(Permission.objects.get(codename="change_vpnconnection"))
    client.force_login(django_user_model.objects.get(pk=staff.pk))  # fresh permission cache
    assert f'value="{action}"' in client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(changelist, {"action": action, "_selected_action": [connection.pk]})
    connection.refresh_from_db()
    assert (connection.state, connection.pushed_fingerprint) != ("connected", "abc")
    assert callbacks  # its work (and the live pages' message) goes out on commit
