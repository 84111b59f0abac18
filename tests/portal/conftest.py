"""The audit log's cast: alice's connection (a VPC, its gateway, a customer gateway with a known
key), and an operator."""

from typing import Any

import pytest

from portal.models import User
from tests.vpn.conftest import PSK, make_cgw
from vpn.actions import create_connection, create_gateway
from vpn.models import VpnConnection
from vpn.models.policy import forget_crypto_rules

__all__ = ["PSK"]


@pytest.fixture(autouse=True)
def _fresh_crypto_policy():  # type: ignore[no-untyped-def]
    """As in tests/vpn: the crypto policy's cache entry outlives a rolled-back test."""
    forget_crypto_rules()
    yield
    forget_crypto_rules()


@pytest.fixture
def connection(vpc: Any, alice: User) -> VpnConnection:
    return create_connection(create_gateway(vpc)[0], make_cgw(alice.account), passive=False)


@pytest.fixture
def operator(django_user_model: Any) -> User:
    return django_user_model.objects.create_superuser("root", password="x")  # type: ignore[no-any-return]
