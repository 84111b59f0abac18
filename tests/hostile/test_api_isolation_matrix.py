"""The isolation matrix of the REST API, generated from the URLconf like the portal's: every
API route x every method x another account's object ids, with tenant A's token, is what a
missing id gets (404, or 405 for a method the route does not have) and changes nothing;
without a token, every route but the schema and its docs is a 401.

Routes come from routes.api_routes() (everything under the "api" namespace), so a new API route
is attacked without anyone writing a test for it; one whose ids cannot be filled fails here.
"""

from __future__ import annotations

import itertools
import json
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from rest_framework.test import APIClient

from tests.api.conftest import bearer, token_for
from tests.hostile.routes import METHODS, Route, api_routes
from tests.hostile.test_isolation_matrix import MISSING, candidates, describe, fill
from tests.hostile.world import (
    World,
    changes,
    hostile_body,
    rows_joining_accounts,
    snapshot,
    tenant_rows,
)

ROUTES = api_routes()
OBJECT_ROUTES = [route for route in ROUTES if route.params or route.problem]
# API routes anyone may open, each with the reason.
PUBLIC = {
    "api:schema": "the OpenAPI schema (what a client is generated from)",
    "api:docs": "the browsable documentation of that schema",
}
QUERY_METHODS = ("GET", "HEAD", "OPTIONS")

pytestmark = pytest.mark.django_db


def send(client: APIClient, method: str, path: str, data: dict[str, object]) -> HttpResponse:
    if method in QUERY_METHODS:
        query = "?" + urlencode(data) if data else ""
        return client.generic(method, path + query)
    return client.generic(method, path, json.dumps(data), content_type="application/json")


def requests(world: World) -> list[tuple[str, str, dict[str, object]]]:
    """(method, variant, data): every method bare, and with every parameter the API reads
    naming the victim's objects (a JSON body; for reads, a query)."""
    body: dict[str, object] = {
        **hostile_body(world),
        "customer_gateway": world.customer_gateways[-1].pk,
        "passive": True,
        "dpd_enabled": True,
    }
    query = {
        "device": "strongswan",
        "wait": "connected",
        "timeout": "0",
        "vpc": str(world.vpcs[0].pk),
        "state": "pending",
    }
    bare = [(method, "bare", {}) for method in METHODS]
    named = [
        (method, "hostile", dict(query) if method in QUERY_METHODS else body) for method in METHODS
    ]
    return bare + named


def test_it_finds_the_apis_routes_in_the_urlconf() -> None:
    names = {route.name for route in ROUTES}
    assert {"api:vpc-detail", "api:tier-detail", "api:connection-configuration"} <= names
    assert {"api:customer-gateway-list", "api:device-list", "api:schema"} <= names


def test_it_names_only_existing_routes_as_public() -> None:
    assert set(PUBLIC) <= {route.name for route in ROUTES}


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_it_answers_another_accounts_ids_as_missing_ones(route: Route, worlds) -> None:  # type: ignore[no-untyped-def]
    a, b = worlds
    fillings = candidates(route, a, b)
    client = bearer(token_for(a.user))
    missing_path = route.path({param.name: MISSING for param in route.params})
    failures = []
    expected = {}
    before = snapshot()
    for method in METHODS:
        expected[method] = send(client, method, missing_path, {}).status_code
        if expected[method] not in (404, 405):
            failures.append(f"{method} of a missing id: {expected[method]} (not 404 or 405)")
    if 404 not in expected.values():
        failures.append("no method looks its object up (no 404 for a missing id)")
    for filling, (method, variant, data) in itertools.product(fillings, requests(b)):
        path = route.path({name: obj.pk for name, (_owner, obj) in filling.items()})
        response = send(client, method, path, data)
        if response.status_code != expected[method]:
            failures.append(
                f"{method} {path} ({variant}; {describe(filling)}): {response.status_code}, "
                f"not {expected[method]} as for a missing id"
            )
        if b.tag in response.content.decode("utf-8", "replace"):
            failures.append(f"{method} {path} ({variant}) shows tenant B's names")
    failures += [f"changed: {change}" for change in changes(before, snapshot())]
    assert not failures, f"{route.name}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_it_takes_no_other_accounts_ids_from_a_request(route: Route, worlds) -> None:  # type: ignore[no-untyped-def]
    """Tenant A's token on A's own objects (or a route without ids), with a body and a query
    naming tenant B's: B's rows stay as they are, and no row comes to join the two accounts."""
    a, b = worlds
    values = {name: obj.pk for name, (_owner, obj) in fill(route, a).items()}
    client = bearer(token_for(a.user))
    before = tenant_rows(b.account)
    failures = []
    for method, variant, data in requests(b):
        response = send(client, method, route.path(values), data)
        if response.status_code >= 500:
            failures.append(f"{method} ({variant}): {response.status_code}")
        if b.tag in response.content.decode("utf-8", "replace"):
            failures.append(f"{method} ({variant}) shows tenant B's names")
    if tenant_rows(b.account) != before:
        failures.append("tenant B's rows changed")
    failures += [f"joins two accounts: {row}" for row in rows_joining_accounts()]
    assert not failures, f"{route.name}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", [route for route in ROUTES if route.name not in PUBLIC], ids=str)
def test_it_answers_401_without_a_token(route: Route, worlds) -> None:  # type: ignore[no-untyped-def]
    _a, b = worlds
    path = route.path({name: obj.pk for name, (_owner, obj) in fill(route, b).items()})
    before = snapshot()
    failures = []
    for method, variant, data in requests(b):
        response = send(APIClient(), method, path, data)
        if response.status_code != 401:
            failures.append(f"{method} ({variant}): {response.status_code}")
        if b.tag in response.content.decode("utf-8", "replace"):
            failures.append(f"{method} ({variant}) shows tenant B's names")
    failures += [f"changed: {change}" for change in changes(before, snapshot())]
    assert not failures, f"{route.name} ({path}):\n" + "\n".join(failures)
