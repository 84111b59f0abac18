"""Acceptance (issue 12, 2): the user guide's walk through the REST API alone, with a token,
against the live server and a real charon on each side: a VPC, a customer gateway, the VPN
gateway, a connection waited for with the long poll until Connected, its configuration
downloaded, then everything deleted and nothing left on the router."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from lab.sites import add_site
from network.models import Vpc
from tests.api.conftest import token_for
from tests.e2e.helpers import PSK, router_conns, router_sas
from tests.stack import wait_for
from vpn.models import CustomerGateway

pytestmark = [pytest.mark.lab]


class Api:
    """A script's view of the portal: HTTP with a bearer token, nothing else."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, self.base + path, timeout=90, **kwargs)
        assert response.status_code == status, (method, path, response.text[:2000])
        return response


def test_it_walks_the_guide_through_the_api_alone(lab, live_server, alice, pool) -> None:  # type: ignore[no-untyped-def]
    api = Api(live_server.url, token_for(alice, "walk"))
    new_vpc = {
        "name": "prod",
        "cidr": "10.1.0.0/16",
        "tier_name": "web",
        "tier_cidr": "10.1.1.0/24",
    }
    vpc = api.call("POST", "/vpcs/", 201, json=new_vpc).json()
    wait_for(
        lambda: api.call("GET", f"/vpcs/{vpc['id']}/", 200).json()["router_health"] == "",
        what="the router to be built (its health sentence empty)",
    )
    cgw = api.call(
        "POST",
        "/customer-gateways/",
        201,
        json={
            "name": "hq",
            "gateway_ip": "203.0.113.10",
            "cidr_list": "192.168.10.0/24",
            "psk": PSK,
        },
    ).json()
    gateway = api.call("POST", f"/vpcs/{vpc['id']}/vpn-gateway/", 201).json()
    assert api.call("POST", f"/vpcs/{vpc['id']}/vpn-gateway/", 200).json() == gateway
    connection = api.call(
        "POST",
        f"/vpn-gateways/{gateway['id']}/connections/",
        201,
        json={"customer_gateway": cgw["id"]},
    ).json()
    add_site(CustomerGateway.objects.get(pk=cgw["id"]))  # the customer's device comes online

    waited = api.call(
        "GET",
        f"/vpn-connections/{connection['id']}/",
        200,
        params={"wait": "connected", "timeout": 30},
    ).json()
    assert waited["state"] == "connected", waited

    download = api.call(
        "GET",
        f"/vpn-connections/{connection['id']}/configuration/",
        200,
        params={"device": "strongswan"},
    )
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert f"vpn-{connection['id']}" in download.text

    api.call("DELETE", f"/vpn-connections/{connection['id']}/", 204)
    vpc_row = Vpc.objects.get(pk=vpc["id"])  # to find its router on its network node
    name = f"vpn-{connection['id']}"

    def nothing_on_the_router() -> bool:
        conns, keys = router_conns(vpc_row)
        return name not in conns and f"psk-{name}" not in keys and not router_sas(vpc_row)

    wait_for(nothing_on_the_router, timeout=15, what="conn, secret and SAs to leave the router")
    api.call("DELETE", f"/vpn-gateways/{gateway['id']}/", 204)
    api.call("DELETE", f"/customer-gateways/{cgw['id']}/", 204)
    api.call("DELETE", f"/vpcs/{vpc['id']}/", 204)
    for path in ("/vpn-connections/", "/vpn-gateways/", "/customer-gateways/", "/vpcs/"):
        assert api.call("GET", path, 200).json()["results"] == []
