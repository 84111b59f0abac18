"""The API's cast: alice and charlie (another account) each with a token, and a client that
sends it as `Authorization: Bearer`."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from api.models import SHOWN_CHARS, TOKEN_PREFIX, ApiToken, digest, new_token
from portal.models import User
from tests.vpn.conftest import make_cgw
from vpn.actions import create_connection, create_gateway


def token_for(user: User, name: str = "tests") -> str:
    """A new token of the user's account (as the portal's token page makes one)."""
    token = new_token()
    ApiToken.objects.create(
        account=user.account,
        user=user,
        name=name,
        shown=token[: len(TOKEN_PREFIX) + SHOWN_CHARS],
        digest=digest(token),
    )
    return token


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture(autouse=True)
def _no_change_limit(settings: Any) -> None:
    """The portal's per-user limit on changes (tests/portal) would answer 429 to busy tests."""
    settings.PORTAL_RATE_LIMIT = ""


@pytest.fixture
def api(alice: User) -> APIClient:
    return bearer(token_for(alice))


@pytest.fixture
def charlie_api(charlie: User) -> APIClient:
    return bearer(token_for(charlie))


@pytest.fixture
def cgw(alice: User) -> Any:
    return make_cgw(alice.account)


@pytest.fixture
def gateway(vpc: Any) -> Any:
    return create_gateway(vpc)[0]


@pytest.fixture
def connection(gateway: Any, cgw: Any) -> Any:
    return create_connection(gateway, cgw, passive=False)
