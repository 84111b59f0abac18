"""The isolation matrix, generated from the URLconf: every route x every method x another
account's object ids is a 404 and changes nothing; without a login, every non-public route
redirects to the login page.

Routes come from `get_resolver()` (all but the admin site and static files), so a new URL is
attacked without anyone writing a test for it. Its URL kwargs are filled from tenant B's
objects by the path segment before them ("vpn-connections/<int:pk>"); a route that cannot be
filled that way fails here, naming the route, until world.COLLECTIONS knows its objects.

Last, a connection that joins the two accounts (written past the gate) hands neither tenant
the other's key, nor shows the other's device.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

import pytest
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.hostile.conftest import client_of
from tests.hostile.routes import METHODS, Route, portal_routes, route_of
from tests.hostile.world import (
    World,
    changes,
    hostile_body,
    rows_joining_accounts,
    snapshot,
    tenant_rows,
)
from vpn.models import VpnConnection

ROUTES = portal_routes()
OBJECT_ROUTES = [route for route in ROUTES if route.params or route.problem]
# Routes anyone may open, each with the reason. A new public route must be added here on
# purpose; everything else must send an anonymous visitor to the login page.
PUBLIC = {
    "home": "a redirect to the VPC list, which asks for the login itself",
    "login": "the login page",
    "logout": "logging out",
    "healthz": "the load balancer's liveness probe",
}
MISSING = 2**31 - 1  # an id no row has
HTMX = {"HX-Request": "true", "HX-Target": "modal"}
QUERY_METHODS = ("GET", "HEAD", "OPTIONS")  # their data goes into the query string
QUERY = {"download": "strongswan", "tab": "connections", "fragment": "connections", "page": "2"}

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, path: str, data: dict[str, str], htmx: bool) -> HttpResponse:
    headers = HTMX if htmx else {}
    if method in QUERY_METHODS:
        query = "?" + urlencode(data) if data else ""
        return client.generic(method, path + query, headers=headers)
    return client.generic(
        method,
        path,
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def requests(world: World) -> list[tuple[str, str, dict[str, str], bool]]:
    """(method, variant, data, htmx): every method as an htmx request carrying every query
    parameter and form field the portal reads (naming the victim's objects); GET and POST
    also plain."""
    body = hostile_body(world)
    # In a URL the key would be the client's own leak (a login redirect keeps it in "next").
    query = {**QUERY, **{name: value for name, value in body.items() if name != "psk"}}
    plain = [(method, "plain", {}, False) for method in ("GET", "POST")]
    return plain + [
        (method, "htmx+hostile", query if method in QUERY_METHODS else body, True)
        for method in METHODS
    ]


def objects_for(route: Route, world: World) -> dict[str, list[Model]]:
    """The world's objects for each kwarg of the route; fails, naming the route, when a kwarg
    cannot be filled (never skips it)."""
    if route.problem:
        pytest.fail(f"{route.name} ({route.route}) cannot be attacked: {route.problem}")
    found = {}
    for param in route.params:
        objects = world.objects(param.collection)
        if not objects:
            pytest.fail(
                f"{route.name} ({route.route}): no fixture for <{param.name}> after "
                f"{param.collection!r}; add the collection to tests/hostile/world.py"
            )
        found[param.name] = objects
    return found


def fill(route: Route, world: World) -> dict[str, tuple[str, Model]]:
    """The route's kwargs filled with the world's first (busiest) objects."""
    return {name: (world.tag, objects[0]) for name, objects in objects_for(route, world).items()}


def candidates(route: Route, a: World, b: World) -> list[dict[str, tuple[str, Model]]]:
    """Every filling of the route's kwargs with B's objects and A's first one that names at
    least one of B's."""
    ours, theirs = objects_for(route, a), objects_for(route, b)
    choices = [
        [(name, ("A", ours[name][0]))] + [(name, ("B", obj)) for obj in theirs[name]]
        for name in ours
    ]
    return [
        dict(combination)
        for combination in itertools.product(*choices)
        if any(owner == "B" for _name, (owner, _obj) in combination)
    ]


def describe(filling: dict[str, tuple[str, Model]]) -> str:
    return ", ".join(f"{name}={owner}:{obj!s}" for name, (owner, obj) in filling.items())


def test_it_finds_the_portals_routes_in_the_urlconf() -> None:
    names = {route.name for route in ROUTES}
    assert {"network:vpc-detail", "network:tier-delete", "vpn:connection-configuration"} <= names
    assert {"vpn:customer-gateway-create", "healthz"} <= names
    assert not any(name.startswith("admin:") for name in names)


def test_it_names_only_existing_routes_as_public() -> None:
    assert set(PUBLIC) <= {route.name for route in ROUTES}


@pytest.mark.parametrize(
    "route",
    [
        route_of("vpn:router-detail", "network/routers/<int:pk>/"),
        route_of("vpn:by-name", "network/vpcs/<slug:name>/"),
        route_of("vpn:legacy", "^network/old/(?P<pk>[0-9]+)/$", is_path=False),
    ],
    ids=str,
)
def test_it_fails_a_route_it_cannot_fill_rather_than_skip_it(route: Route, worlds) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(pytest.fail.Exception, match=route.name):
        candidates(route, *worlds)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_it_answers_404_to_another_accounts_ids(route: Route, worlds) -> None:  # type: ignore[no-untyped-def]
    a, b = worlds
    fillings = candidates(route, a, b)
    client = client_of(a.user)
    before = snapshot()
    missing_path = route.path({param.name: MISSING for param in route.params})
    failures = []
    expected = {}
    for method in METHODS:
        expected[method] = send(client, method, missing_path, {}, False).status_code
        if expected[method] not in (404, 405):
            failures.append(f"{method} of a missing id: {expected[method]} (not 404 or 405)")
    if 404 not in (expected["GET"], expected["POST"]):
        failures.append("neither GET nor POST looks its object up (no 404 for a missing id)")
    for filling, (method, variant, data, htmx) in itertools.product(fillings, requests(b)):
        path = route.path({name: obj.pk for name, (_owner, obj) in filling.items()})
        response = send(client, method, path, data, htmx)
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
    """Tenant A on its own objects (or a route without ids), with a body and a query naming
    tenant B's: B's rows stay as they are, and no row comes to join the two accounts."""
    a, b = worlds
    values = {name: obj.pk for name, (_owner, obj) in fill(route, a).items()}
    client = client_of(a.user)
    before = tenant_rows(b.account)
    failures = []
    for method, variant, data, htmx in requests(b):
        response = send(client, method, route.path(values), data, htmx)
        if response.status_code >= 500:
            failures.append(f"{method} ({variant}): {response.status_code}")
        if b.tag in response.content.decode("utf-8", "replace"):
            failures.append(f"{method} ({variant}) shows tenant B's names")
    if tenant_rows(b.account) != before:
        failures.append("tenant B's rows changed")
    failures += [f"joins two accounts: {row}" for row in rows_joining_accounts()]
    assert not failures, f"{route.name}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", [route for route in ROUTES if route.name not in PUBLIC], ids=str)
def test_it_sends_an_anonymous_visitor_to_the_login_page(route: Route, worlds) -> None:  # type: ignore[no-untyped-def]
    _a, b = worlds
    path = route.path({name: obj.pk for name, (_owner, obj) in fill(route, b).items()})
    login = reverse("login")
    before = snapshot()
    failures = []
    for method, variant, data, htmx in requests(b):
        response = send(Client(), method, path, data, htmx)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith(login + "?next="):
            failures.append(f"{method} ({variant}): {response.status_code} {location!r}")
    failures += [f"changed: {change}" for change in changes(before, snapshot())]
    assert not failures, f"{route.name} ({path}):\n" + "\n".join(failures)


@pytest.fixture
def joined(worlds):  # type: ignore[no-untyped-def]
    """A connection from A's idle gateway to B's idle customer gateway, written past the gate
    (as raw SQL, or the admin site before it wrote through the actions, could)."""
    a, b = worlds
    return VpnConnection.objects.create(
        gateway=a.gateways[1], customer_gateway=b.customer_gateways[1]
    )


def test_it_hands_neither_tenant_the_others_key_through_a_row_joining_them(worlds, joined) -> None:  # type: ignore[no-untyped-def]
    url = reverse("vpn:connection-configuration", args=[joined.pk])
    for world in worlds:
        client = client_of(world.user)
        assert client.get(url).status_code == 404
        assert client.get(url, {"download": "strongswan"}).status_code == 404


def test_it_shows_neither_tenant_the_others_device_through_a_row_joining_them(
    worlds, joined
) -> None:  # type: ignore[no-untyped-def]
    a, b = worlds
    client = client_of(a.user)
    pages = [
        reverse("vpn:connection-list"),
        reverse("vpn:gateway-detail", args=[joined.gateway_id]) + "?tab=connections",
    ]
    shown = [url for url in pages if b.tag in client.get(url).content.decode()]
    assert not shown
