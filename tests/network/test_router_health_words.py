"""Tenants read their router's health in plain words; the operator's details stay in the admin."""

import pytest
from django.urls import reverse

from network.models import Router
from vpn.actions import create_gateway

DETAIL = "cannot reach unix:///run/s2s-node/r1/run/charon.vici on edge-1: Connection refused"


@pytest.mark.django_db
def test_it_shows_tenants_a_sentence_and_never_the_operators_details(alice_client, vpc) -> None:
    gateway, _ = create_gateway(vpc)
    Router.objects.filter(vpc=vpc).update(state="unreachable", state_reason=DETAIL)
    for url in (
        reverse("network:vpc-list"),
        vpc.get_absolute_url(),
        gateway.get_absolute_url(),
    ):
        page = alice_client.get(url).content.decode()
        assert "The VPN router cannot be reached at the moment." in page, url
        assert "charon.vici" not in page and "edge-1" not in page, url
