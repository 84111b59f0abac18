"""Property-based tests of the customer gateway form through the portal's own views: no input
gives a 500, and every input the portal accepts is a customer gateway that passes the model's
rules again and renders a `load-conn` message and a device configuration that mirror each
other (tests/hostile/rendering.py; the lab test loads them into real charons)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import swanctl
from tests.hostile.conftest import FUZZ, rolled_back
from tests.hostile.inputs import JUNK, hostile_forms, likely_forms, psks
from tests.hostile.rendering import check_mirror, rendered
from tests.hostile.watch import CANARY
from tests.hostile.world import cgw_with_canary
from vpn.actions import create_connection
from vpn.forms import CustomerGatewayForm
from vpn.models import CustomerGateway, VpnConnection
from vpn.specs import spec_for
from vpn.strongswan import render

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
BASE = {
    "name": "branch",
    "gateway_ip": "203.0.113.50",
    "cidr_list": "192.168.50.0/24",
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


@pytest.fixture
def connected(gateway, cgw):  # type: ignore[no-untyped-def]
    """Alice's customer gateway, connected to her VPN gateway (an edit re-checks the rules)."""
    create_connection(gateway, cgw, passive=False)
    return cgw


@pytest.fixture
def urls(connected) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "create": reverse("vpn:customer-gateway-create"),
        "edit": reverse("vpn:customer-gateway-edit", args=[connected.pk]),
    }


def test_it_never_answers_500_to_hostile_customer_gateway_input(alice_client, urls, watch) -> None:  # type: ignore[no-untyped-def]
    @FUZZ
    @given(target=st.sampled_from(sorted(urls)), form=hostile_forms(), htmx=st.booleans())
    def attempt(target: str, form: dict[str, str], htmx: bool) -> None:
        with rolled_back(watch):
            response = alice_client.post(urls[target], form, headers=HTMX if htmx else {})
            assert response.status_code in (302, 422), response.status_code

    attempt()


def test_it_renders_every_customer_gateway_it_accepts(
    alice_client, alice, gateway, urls, watch
) -> None:  # type: ignore[no-untyped-def]
    accepted: list[str] = []

    @FUZZ
    @given(
        target=st.sampled_from(sorted(urls)),
        form=likely_forms(),
        keep_key=st.booleans(),
        passive=st.booleans(),
    )
    def attempt(target: str, form: dict[str, str], keep_key: bool, passive: bool) -> None:
        if target == "edit" and keep_key:
            form = {**form, "psk": ""}
        with rolled_back(watch):
            response = alice_client.post(urls[target], form)
            assert response.status_code in (302, 422), response.status_code
            if response.status_code == 302:
                accepted.append(target)
                saved = CustomerGateway.objects.filter(account=alice.account).latest("updated")
                saved.full_clean()  # what was let in passes the gate again
                assert saved.get_psk() == CANARY
                unsaved = VpnConnection(
                    id=2**31 - 1, gateway=gateway, customer_gateway=saved, passive=passive
                )
                rendered(spec_for(unsaved))
                _add_and_download(alice_client, gateway, saved, passive)

    attempt()
    assert accepted, "no generated input was accepted: the strategy never reached the renderers"


def _add_and_download(client, gateway, saved, passive) -> None:  # type: ignore[no-untyped-def]
    """Through the portal too, when the connection is allowed: the file it hands out mirrors
    the router's `load-conn` message."""
    connection = VpnConnection.objects.filter(gateway=gateway, customer_gateway=saved).first()
    if connection is None:
        added = client.post(
            reverse("vpn:connection-add", args=[gateway.pk]),
            {"customer_gateway": saved.pk, **({"passive": "on"} if passive else {})},
        )
        assert added.status_code in (302, 422), added.status_code
        connection = VpnConnection.objects.filter(gateway=gateway, customer_gateway=saved).first()
        if connection is None:
            return
    download = client.get(
        reverse("vpn:connection-configuration", args=[connection.pk]), {"download": "strongswan"}
    )
    assert download.status_code == 200
    spec = spec_for(connection)
    check_mirror(
        spec,
        render.render_conn(spec),
        render.render_shared(spec),
        swanctl.parse(download.content.decode()),
    )


def test_it_renders_every_key_the_form_accepts(alice, gateway) -> None:  # type: ignore[no-untyped-def]
    """The key alone, through the form only: a key that is not the canary is never saved."""
    accepted: list[str] = []

    @FUZZ
    @given(psk=st.one_of(psks(), JUNK, st.text(min_size=8, max_size=64)))
    def attempt(psk: str) -> None:
        form = CustomerGatewayForm({**BASE, "psk": psk}, account=alice.account)
        if form.is_valid():
            accepted.append(psk)
            cgw = form.save(commit=False)
            cgw.set_psk(psk)
            unsaved = VpnConnection(id=7, gateway=gateway, customer_gateway=cgw)
            rendered(spec_for(unsaved))

    attempt()
    assert accepted


def test_it_never_answers_500_to_hostile_connection_input(
    alice_client, gateway, connected, charlie, watch
) -> None:  # type: ignore[no-untyped-def]
    foreign = cgw_with_canary(charlie.account, "foreign", "203.0.113.77", "192.168.77.0/24")
    url = reverse("vpn:connection-add", args=[gateway.pk])

    @FUZZ
    @given(
        customer_gateway=st.one_of(
            JUNK,
            st.just(str(foreign.pk)),
            st.just(str(connected.pk)),
            st.just("9" * 30),
            st.integers(-(2**64), 2**64).map(str),
        ),
        passive=st.one_of(st.just("on"), JUNK),
        htmx=st.booleans(),
    )
    def attempt(customer_gateway: str, passive: str, htmx: bool) -> None:
        with rolled_back(watch):
            response = alice_client.post(
                url,
                {"customer_gateway": customer_gateway, "passive": passive},
                headers=HTMX if htmx else {},
            )
            assert response.status_code in (302, 422), response.status_code
            assert not VpnConnection.objects.filter(customer_gateway=foreign).exists()

    attempt()


def test_it_answers_400_to_a_body_over_the_size_limit(alice_client, settings) -> None:  # type: ignore[no-untyped-def]
    huge = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = alice_client.post(
        reverse("vpn:customer-gateway-create"),
        f"name={huge}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert not CustomerGateway.objects.exists()
