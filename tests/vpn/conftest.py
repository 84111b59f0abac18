import pytest

from vpn.actions import create_gateway, save_customer_gateway
from vpn.models import CustomerGateway
from vpn.models.policy import forget_crypto_rules

PSK = "Tr1cky-Pre-Shared-Key"


def make_cgw(account, name="hq", ip="203.0.113.10", cidrs="192.168.10.0/24", **extra):  # type: ignore[no-untyped-def]
    return save_customer_gateway(
        CustomerGateway(name=name, gateway_ip=ip, cidr_list=cidrs, **extra),
        account=account,
        psk=PSK,
    )


@pytest.fixture(autouse=True)
def _fresh_crypto_policy():  # type: ignore[no-untyped-def]
    """The crypto policy's cache entry lives beyond a test's rolled-back transaction (whose
    on-commit hooks never run): every test starts and ends without it."""
    forget_crypto_rules()
    yield
    forget_crypto_rules()


@pytest.fixture
def cgw(alice):  # type: ignore[no-untyped-def]
    return make_cgw(alice.account)


@pytest.fixture
def gateway(vpc):  # type: ignore[no-untyped-def]
    return create_gateway(vpc)[0]
