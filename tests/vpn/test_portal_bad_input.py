"""Table-driven bad input: each rule gets its specific message and nothing changes."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.vpn.conftest import PSK, make_cgw
from vpn.models import CustomerGateway, VpnConnection

GOOD = {
    "name": "branch",
    "gateway_ip": "203.0.113.50",
    "cidr_list": "192.168.50.0/24",
    "psk": PSK,
    "ike_encryption": "aes256",
    "ike_integrity": "sha256",
    "ike_dh": "modp2048",
    "esp_encryption": "aes256",
    "esp_integrity": "sha256",
    "esp_pfs": "modp2048",
    "ike_lifetime": "86400",
    "esp_lifetime": "3600",
    "dpd_enabled": "on",
    "dpd_delay": "10",
    "dpd_timeout": "30",
    "ike_version": "ikev2",
}

BAD_CUSTOMER_GATEWAYS = [
    ({"name": ""}, "This field is required"),
    ({"name": "hq"}, "already have a customer gateway with this name"),
    ({"gateway_ip": "10.0.0.1"}, "is a private address"),
    ({"gateway_ip": "192.168.1.1"}, "is a private address"),
    ({"gateway_ip": "127.0.0.1"}, "is a loopback address"),
    ({"gateway_ip": "169.254.1.1"}, "is a link-local address"),
    ({"gateway_ip": "224.0.0.5"}, "is a multicast address"),
    ({"gateway_ip": "0.0.0.0"}, "is an unspecified address"),
    ({"gateway_ip": "198.51.100.10"}, "one of this cloud&#x27;s own public addresses"),
    ({"gateway_ip": "203.0.113.300"}, "is not a valid IPv4 address"),
    ({"gateway_ip": "2001:db8::1"}, "is not IPv4"),
    (
        {"gateway_ip": "<script>alert(1)</script>"},
        "&lt;script&gt;alert(1)&lt;/script&gt; is not a valid",
    ),
    ({"cidr_list": ""}, "This field is required"),
    ({"cidr_list": "192.168.50.1/24"}, "has host bits set"),
    ({"cidr_list": "192.168.50.0/24, 192.168.50.128/25"}, "overlap"),
    ({"cidr_list": "banana"}, "is not a CIDR"),
    ({"cidr_list": ",".join(f"172.16.{n}.0/24" for n in range(11))}, "At most 10 remote networks"),
    ({"psk": ""}, "This field is required"),
    ({"psk": "short"}, "8 to 64 characters"),
    ({"psk": "x" * 65}, "8 to 64 characters"),
    ({"psk": "has'quote'inside"}, "without quotes, backslash or line breaks"),
    ({"psk": 'has"double"quote'}, "without quotes, backslash or line breaks"),
    ({"psk": "back\\slash\\key"}, "without quotes, backslash or line breaks"),
    ({"psk": "line\nbreak-key"}, "without quotes, backslash or line breaks"),
    ({"psk": "ünïcödé-key!"}, "without quotes, backslash or line breaks"),
    ({"ike_encryption": "3des"}, "Select a valid choice"),
    ({"ike_dh": "modp1024"}, "Select a valid choice"),
    ({"esp_pfs": "modp1536"}, "Select a valid choice"),
    ({"ike_encryption": "rot13"}, "Select a valid choice"),
    ({"ike_lifetime": "1199"}, "Must be 1200 to 86400 seconds"),
    ({"esp_lifetime": "86401"}, "Must be 1200 to 86400 seconds"),
    ({"ike_lifetime": "abc"}, "Enter a whole number"),
    ({"dpd_timeout": "5"}, "longer than the delay"),
    ({"dpd_delay": "0", "dpd_timeout": "30"}, "at least 1 second"),
    ({"ike_version": "ikev1", "split_connections": "on"}, "Split connections need IKEv2"),
    ({"esp_integrity": ""}, "Choose an integrity algorithm"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), BAD_CUSTOMER_GATEWAYS)
def test_it_refuses_a_bad_customer_gateway(alice_client, alice, vpc, change, message) -> None:
    existing = make_cgw(alice.account)
    before = CustomerGateway.objects.get(pk=existing.pk).__dict__.copy()
    response = alice_client.post(reverse("vpn:customer-gateway-create"), {**GOOD, **change})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert CustomerGateway.objects.count() == 1
    after = CustomerGateway.objects.get(pk=existing.pk).__dict__
    assert {k: v for k, v in after.items() if k != "_state"} == {
        k: v for k, v in before.items() if k != "_state"
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["<script>alert('x')</script>", "Robert'); DROP TABLE vpn_customergateway;--"]
)
def test_it_stores_and_escapes_hostile_names(alice_client, alice, name) -> None:
    response = alice_client.post(reverse("vpn:customer-gateway-create"), {**GOOD, "name": name})
    assert response.status_code == 302
    assert CustomerGateway.objects.get(account=alice.account).name == name
    page = alice_client.get(reverse("vpn:customer-gateway-list")).content.decode()
    assert escape(name) in page
    if "<" in name:
        assert name not in page


@pytest.mark.django_db
def test_it_accepts_the_good_input(alice_client, alice) -> None:
    response = alice_client.post(reverse("vpn:customer-gateway-create"), GOOD)
    assert response.status_code == 302
    cgw = CustomerGateway.objects.get(account=alice.account)
    assert cgw.get_psk() == PSK
    assert cgw.ike_lifetime == 86400


BAD_CONNECTIONS = [
    ({"cidr_list": "10.1.5.0/24"}, "overlaps the VPC CIDR"),
    (
        {"cidr_list": "192.168.10.128/25", "gateway_ip": "203.0.113.77"},
        "overlaps 192.168.10.0/24 of customer gateway hq",
    ),
    (
        {"cidr_list": "192.168.99.0/24", "gateway_ip": "203.0.113.10"},
        "with the same IP 203.0.113.10 is already connected",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("cgw_fields", "message"), BAD_CONNECTIONS)
def test_it_refuses_a_connection_that_breaks_a_rule(
    alice_client, alice, gateway, cgw, cgw_fields, message
) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    fields = {"ip": cgw_fields.get("gateway_ip", "203.0.113.60"), "cidrs": cgw_fields["cidr_list"]}
    other = make_cgw(alice.account, name="other", **fields)
    url = reverse("vpn:connection-add", args=[gateway.pk])
    response = alice_client.post(url, {"customer_gateway": other.pk})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert VpnConnection.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_connection_beyond_the_gateway_limit(
    alice_client, alice, gateway, settings
) -> None:
    settings.PORTAL = {**settings.PORTAL, "MAX_CONNECTIONS_PER_GATEWAY": 2}
    for n in range(2):
        VpnConnection.objects.create(
            gateway=gateway,
            customer_gateway=make_cgw(
                alice.account, name=f"c{n}", ip=f"203.0.113.{n + 1}", cidrs=f"172.16.{n}.0/24"
            ),
        )
    extra = make_cgw(alice.account, name="extra", ip="203.0.113.99", cidrs="172.16.9.0/24")
    response = alice_client.post(
        reverse("vpn:connection-add", args=[gateway.pk]), {"customer_gateway": extra.pk}
    )
    assert "maximum of 2 connections" in response.content.decode()
    assert VpnConnection.objects.count() == 2


@pytest.mark.django_db
def test_it_refuses_an_edit_that_would_break_a_connection(
    alice_client, alice, gateway, cgw
) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    url = reverse("vpn:customer-gateway-edit", args=[cgw.pk])
    response = alice_client.post(
        url,
        {**GOOD, "name": "hq", "gateway_ip": "203.0.113.10", "cidr_list": "10.1.0.0/24", "psk": ""},
    )
    assert "overlaps the VPC CIDR" in response.content.decode()
    cgw.refresh_from_db()
    assert cgw.cidr_list == "192.168.10.0/24"


@pytest.mark.django_db
def test_it_refuses_a_customer_gateway_with_the_vpn_gateways_own_ip(
    alice_client, alice, gateway
) -> None:
    response = alice_client.post(
        reverse("vpn:customer-gateway-create"), {**GOOD, "gateway_ip": gateway.public_ip}
    )
    assert "own public addresses" in response.content.decode()
    assert not CustomerGateway.objects.exists()


@pytest.mark.django_db
def test_it_refuses_to_delete_a_customer_gateway_in_use(alice_client, gateway, cgw) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    response = alice_client.post(reverse("vpn:customer-gateway-delete", args=[cgw.pk]), follow=True)
    assert "is used by VPN connections" in response.content.decode()
    assert CustomerGateway.objects.filter(pk=cgw.pk).exists()


@pytest.mark.django_db
def test_it_refuses_to_delete_a_gateway_with_connections(alice_client, gateway, cgw) -> None:
    VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    response = alice_client.post(reverse("vpn:gateway-delete", args=[gateway.pk]), follow=True)
    assert "still has 1 connection(s)" in response.content.decode()
    gateway.refresh_from_db()


@pytest.mark.django_db
def test_it_shows_the_proposals_a_device_must_match(alice_client) -> None:
    page = alice_client.get(reverse("vpn:customer-gateway-create")).content.decode()
    assert "aes256-sha256-modp2048" in page
    preview = alice_client.get(
        reverse("vpn:proposal-preview"),
        {
            "ike_encryption": "aes128gcm16",
            "ike_integrity": "sha384",
            "ike_dh": "ecp384",
            "esp_encryption": "aes256",
            "esp_integrity": "sha512",
            "esp_pfs": "none",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "aes128gcm16-prfsha384-ecp384" in preview and "aes256-sha512" in preview
    assert "<html" not in preview


@pytest.mark.django_db
def test_it_shows_no_half_proposal_when_a_policy_field_is_invalid(alice_client) -> None:
    response = alice_client.post(
        reverse("vpn:customer-gateway-create"), {**GOOD, "ike_dh": "modp1024"}
    )
    assert "None-" not in response.content.decode()
