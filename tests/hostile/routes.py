"""Every route of the portal, read from the URLconf, so a new URL is attacked without anyone
writing a test for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# The operators' site has its own tests (tests/test_admin.py), and so have their metrics and
# health page (tests/network/test_metrics_*.py: a bearer token or the admin's login, never a
# tenant's); static files are not views.
SKIPPED_NAMESPACES = {"admin", "operators"}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Param:
    name: str  # the URL kwarg, e.g. "tier_pk"
    converter: str  # e.g. "int"
    collection: str  # the path segment before it, e.g. "tiers"


@dataclass(frozen=True)
class Route:
    name: str  # "vpn:connection-reset" (the route itself when it has no name)
    route: str  # "network/vpn-connections/<int:pk>/reset/"
    params: tuple[Param, ...]
    problem: str  # why no URL can be built for it, or ""

    def __str__(self) -> str:
        return self.name

    def path(self, values: dict[str, int]) -> str:
        return "/" + _PARAM.sub(lambda match: str(values[match["name"]]), self.route)


API_NAMESPACE = "api"  # the REST API: tokens, JSON and 401s (test_api_isolation_matrix.py)


def portal_routes() -> list[Route]:
    """Every route of the portal's pages (the REST API's are api_routes())."""
    return [route for route in _all_routes() if not _in_api(route)]


def api_routes() -> list[Route]:
    """Every route of the REST API, read from the same URLconf."""
    return [route for route in _all_routes() if _in_api(route)]


def _all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def _in_api(route: Route) -> bool:
    return route.name.startswith(API_NAMESPACE + ":")


def _walk(entries: list[URLPattern | URLResolver], prefix: str, namespace: str) -> Iterator[Route]:
    for entry in entries:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            continue
        route = prefix + str(entry.pattern)
        if route.lstrip("^").startswith(settings.STATIC_URL.lstrip("/")):
            continue
        name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or route
        yield route_of(name, route, is_path=isinstance(entry.pattern, RoutePattern))


def route_of(name: str, route: str, *, is_path: bool = True) -> Route:
    if not is_path:
        return Route(name, route, (), "a regular-expression route: make it a path() route")
    params, problems = [], []
    segments = route.split("/")
    for index, segment in enumerate(segments):
        for match in _PARAM.finditer(segment):
            converter = match["converter"] or "str"
            collection = segments[index - 1] if index else ""
            if converter != "int":
                problems.append(f"<{converter}:{match['name']}> is not an object id")
            elif not collection or _PARAM.search(collection):
                problems.append(f"<{match['name']}> follows no collection segment")
            params.append(Param(match["name"], converter, collection))
    return Route(name, route, tuple(params), "; ".join(problems))
