"""The canary pre-shared key (tests/hostile/watch.py) never appears in a response, a log line,
a Celery message, an admin page or a database column (its ciphertext is no copy of it) across
the whole run of the hostile suite. This module runs last (see conftest.py): its first tests
make the owner and an operator visit every page while the canary's rows exist, the last ones
read what the watchers saw since the suite began.
"""

from __future__ import annotations

import logging

import pytest
import redis
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from network.actions import create_vpc
from network.models import Vpc
from tests.conftest import broker_key
from tests.hostile.conftest import client_of
from tests.hostile.routes import portal_routes
from tests.hostile.watch import CANARY, Watch, broker_texts, holds_canary
from tests.hostile.world import hostile_body
from vpn.models import CustomerGateway

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
QUERY = {"download": "strongswan", "tab": "connections", "fragment": "connections"}
OBJECTS_PER_MODEL = 3


def leaks(watch: Watch, kind: str) -> list[str]:
    return [str(leak) for leak in watch.leaks if leak.where.startswith(kind)]


# The watchers are not blind ---------------------------------------------------------------


def test_it_sees_a_canary_in_a_log_record() -> None:
    fresh = Watch()
    planted = logging.getLogger("tests.hostile.planted")
    planted.propagate = False  # not into the suite's own watch
    handler = fresh.handler()
    planted.addHandler(handler)
    try:
        planted.warning("key is %s", CANARY)
    finally:
        planted.removeHandler(handler)
    assert leaks(fresh, "log record")


def test_it_sees_a_canary_in_a_response() -> None:
    fresh = Watch()
    fresh.see_response({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"}, HttpResponse(CANARY))
    assert leaks(fresh, "response")


def test_it_sees_a_canary_in_a_column(alice, pool, live_node) -> None:  # type: ignore[no-untyped-def]
    fresh = Watch()
    with transaction.atomic():
        vpc = create_vpc(
            account=alice.account,
            name="x",
            cidr="10.9.0.0/16",
            tier_name="t",
            tier_cidr="10.9.1.0/24",
        )
        Vpc.objects.filter(pk=vpc.pk).update(description=CANARY.encode().hex())
        fresh.scan_database()
        transaction.set_rollback(True)
    assert leaks(fresh, "database column network_vpc.description")


# Everything is visited while the canary's rows exist ----------------------------------------


def test_it_keeps_the_canary_out_of_every_page_the_owner_sees(worlds) -> None:  # type: ignore[no-untyped-def]
    a, _b = worlds
    client = client_of(a.user)
    failures = []
    for route in portal_routes():
        values = {p.name: (a.objects(p.collection) or [None])[0] for p in route.params}
        if route.problem or None in values.values():
            continue  # the isolation matrix fails such a route already
        path = route.path({name: obj.pk for name, obj in values.items()})  # type: ignore[union-attr]
        for query, headers in (({}, {}), (QUERY, HTMX)):
            response = client.get(path, query, headers=headers)
            if response.status_code >= 500 or (
                not _is_download(response) and holds_canary(response.content.decode())
            ):
                failures.append(f"GET {path} {query}: {response.status_code}")
    assert not failures


def test_it_keeps_the_canary_out_of_what_the_owners_changes_send(
    worlds, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """Edits, resets and adds (their broker messages sent on commit), as the owner."""
    a, _b = worlds
    client = client_of(a.user)
    hq, branch = a.customer_gateways
    body = {
        **hostile_body(a),
        "name": hq.name,
        "gateway_ip": hq.gateway_ip,
        "cidr_list": hq.cidr_list,
    }
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(reverse("vpn:customer-gateway-edit", args=[hq.pk]), body),
            client.post(reverse("vpn:customer-gateway-edit", args=[hq.pk]), {**body, "psk": ""}),
            client.post(reverse("vpn:connection-reset", args=[a.connections[0].pk])),
            client.post(
                reverse("vpn:connection-add", args=[a.gateways[1].pk]),
                {"customer_gateway": branch.pk},
            ),
        ]
    assert [r.status_code for r in responses] == [302, 302, 302, 302]


def test_it_keeps_the_canary_out_of_every_admin_page(worlds, django_user_model) -> None:  # type: ignore[no-untyped-def]
    operator = django_user_model.objects.create_superuser("hostile-ops", password="x")
    client = client_of(operator)
    failures = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        base = f"admin:{meta.app_label}_{meta.model_name}"
        urls = [reverse(f"{base}_changelist"), reverse(f"{base}_add")]
        for obj in model_admin.get_queryset(_request(operator)).order_by("pk")[:OBJECTS_PER_MODEL]:
            urls += [reverse(f"{base}_{page}", args=[obj.pk]) for page in ("change", "history")]
            urls.append(reverse(f"{base}_delete", args=[obj.pk]))
        for url in urls:
            response = client.get(url)
            if response.status_code >= 500 or holds_canary(response.content.decode()):
                failures.append(f"{url}: {response.status_code}")
    assert not failures


def _request(user):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _is_download(response: HttpResponse) -> bool:
    return response.get("Content-Disposition", "").startswith("attachment;")


# What the watchers saw across the whole suite ----------------------------------------------


def test_it_never_answered_with_the_canary(watch: Watch) -> None:
    assert watch.responses and watch.downloads  # it saw pages, and the owner's file with the key
    assert not leaks(watch, "response"), "\n".join(leaks(watch, "response"))


def test_it_never_logged_the_canary(watch: Watch) -> None:
    assert watch.records
    assert not leaks(watch, "log record"), "\n".join(leaks(watch, "log record"))


def test_it_never_put_the_canary_in_a_broker_message() -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    texts = list(broker_texts(client, broker_key("")))
    assert any("agent.push_connection" in text for _key, text in texts)  # messages were sent
    found = sorted({key for key, text in texts if holds_canary(text)})
    assert not found, found


def test_it_never_stored_the_canary_outside_its_ciphertext(worlds, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    assert any(cgw.get_psk() == CANARY for cgw in CustomerGateway.objects.all())
    watch.scan_database()
    assert watch.scans
    found = leaks(watch, "database column") + leaks(watch, "session")
    assert not found, "\n".join(found)
