"""Operators' pages, apart from the tenants' (vpn/views.py): the Prometheus endpoint and the
admin's "Platform health" page, both over the same `platform_health()`.

/metrics is never behind a tenant's login: a scraper presents PORTAL_METRICS_TOKEN as a bearer
token. With no token configured the endpoint does not exist (404), so nothing is exposed by
default.
"""

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from network.choices import RouterState
from vpn import metrics as prometheus
from vpn.choices import ConnectionState
from vpn.health import Health, platform_health


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.PORTAL_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _space, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(sent.strip(), token):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(prometheus.registry()), content_type=CONTENT_TYPE_LATEST)


def platform_health_page(request: HttpRequest) -> HttpResponse:
    """The admin's page of the same figures (staff only: wrapped in the admin site's view)."""
    health = platform_health()
    context = {
        **admin.site.each_context(request),
        "title": _("Platform health"),
        "health": health,
        "connection_states": [
            (ConnectionState(state).label, count) for state, count in health.connections.items()
        ],
        "router_states": [
            (RouterState(state).label, count) for state, count in health.router_states.items()
        ],
        "measured": _measured(health),
    }
    return render(request, "admin/platform_health.html", context)


def _measured(health: Health) -> list[tuple[str, str, int, float]]:
    """(node, series, observations, mean seconds) of what each node's agent measured."""
    rows = []
    for node in health.nodes:
        for key, (name, _help) in prometheus.NODE_HISTOGRAMS.items():
            histogram = prometheus.histogram(node.measurements.get(key))
            if histogram is not None and histogram.count:
                rows.append((node.name, name, histogram.count, histogram.sum / histogram.count))
    return rows
