"""Schemathesis against the live schema (acceptance 1): every operation of /api/schema/, called
in-process (WSGI) with a token of a tenant who owns a VPC with a tier, its VPN gateway, a
customer gateway and a connection; no 5xx, and every status, content type, header and body as
documented.

The schema is read from the app when the module is collected, never from a file. Placeholders
put in as the path parameters' examples are swapped for the ids of the tenant's rows (made
anew for each operation), so schemathesis' examples phase reaches real rows with detail,
delete and reset; its fuzzing phase tries other ids (404s) and bodies. Runs are derandomized
and small (MAX_EXAMPLES per operation), so they repeat and stay quick.
"""

import json
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Path parameters' examples, swapped for the ids of the test's own rows when a case is called.
PLACEHOLDERS = {
    "/api/v1/vpcs/": 900_000_001,
    "/api/v1/customer-gateways/": 900_000_002,
    "/api/v1/vpn-gateways/": 900_000_003,
    "/api/v1/vpn-connections/": 900_000_004,
    "tier_pk": 900_000_005,
}


def live_schema() -> dict[str, Any]:
    # Read while the tests are collected: before pytest-django lets the test client's host in.
    response = Client(HTTP_HOST="localhost").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def with_examples(raw: dict[str, Any]) -> dict[str, Any]:
    """The schema with PLACEHOLDERS as its path parameters' examples: every ``{id}`` under
    ``/api/v1/vpcs/`` the VPC's, every ``{tier_pk}`` the tier's, and so on."""
    for path, operations in raw["paths"].items():
        owner = next((PLACEHOLDERS[p] for p in PLACEHOLDERS if path.startswith(p)), None)
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                if parameter["name"] == "tier_pk":
                    parameter["example"] = PLACEHOLDERS["tier_pk"]
                elif owner is not None:
                    parameter["example"] = owner
    return raw


schema = schemathesis.openapi.from_dict(with_examples(live_schema()))
schema.app = WSGIHandler()


@pytest.fixture
def _keep_the_tests_connection():  # type: ignore[no-untyped-def]
    """The WSGI handler closes the database connection when a request starts and ends (as
    Django's test client keeps it from doing): that would end the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def real_ids(connection, settings, _keep_the_tests_connection) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Each placeholder's real id, in the tenant's rows."""
    # Hundreds of calls a minute: the API's limit per token and the portal's limit on changes
    # would answer most of them with 429.
    settings.PORTAL_API_RATE = ""
    settings.PORTAL_RATE_LIMIT = ""
    vpc = connection.gateway.vpc
    return {
        PLACEHOLDERS["/api/v1/vpcs/"]: vpc.pk,
        PLACEHOLDERS["/api/v1/customer-gateways/"]: connection.customer_gateway.pk,
        PLACEHOLDERS["/api/v1/vpn-gateways/"]: connection.gateway.pk,
        PLACEHOLDERS["/api/v1/vpn-connections/"]: connection.pk,
        PLACEHOLDERS["tier_pk"]: vpc.tiers.get().pk,
    }


@pytest.fixture
def token(alice) -> str:  # type: ignore[no-untyped-def]
    return token_for(alice, "schemathesis")


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_every_operation_as_documented(case, token, real_ids) -> None:  # type: ignore[no-untyped-def]
    for name, value in (case.path_parameters or {}).items():
        if str(value).isdigit() and int(value) in real_ids:
            case.path_parameters[name] = real_ids[int(value)]
    if case.query and "wait" in case.query:
        case.query["timeout"] = 0  # the long poll answers at once; waiting proves nothing here
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
