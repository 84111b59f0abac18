"""Where a webhook may go (no SSRF), and its signature."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from alerts import webhook


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://172.16.0.1/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
    ],
)
def test_it_refuses_an_inside_address(url: str) -> None:
    with pytest.raises(ValidationError, match="cannot be sent"):
        webhook.check(url)


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "http://localhost:8080/hook"])
def test_it_refuses_loopback_unless_allowed(settings, url: str) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_ALERT_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError, match="loopback"):
        webhook.check(url)


def test_it_allows_loopback_over_http_when_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_ALERT_ALLOW_LOOPBACK = True
    assert webhook.check("http://127.0.0.1:9/hook?x=1").path == "/hook?x=1"


@pytest.mark.parametrize("url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/", "//x/"])
def test_it_refuses_anything_but_https_to_a_public_address(url: str) -> None:
    with pytest.raises(ValidationError, match="https"):
        webhook.check(url)


def test_it_refuses_credentials_in_the_url() -> None:
    with pytest.raises(ValidationError, match="user or password"):
        webhook.check("https://user:pw@93.184.215.14/hook")


def test_it_accepts_https_to_a_public_address() -> None:
    target = webhook.check("https://93.184.215.14:8443/hook")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/hook")


def test_it_signs_timestamp_and_body_so_a_receiver_can_verify() -> None:
    signature = webhook.sign("s3cret", 1700000000, b'{"kind":"down"}')
    assert signature.startswith("sha256=")
    assert webhook.verify("s3cret", 1700000000, b'{"kind":"down"}', signature)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body"),
    [("other", 1700000000, b"{}"), ("s3cret", 1700000001, b"{}"), ("s3cret", 1700000000, b"[]")],
)
def test_it_fails_verification_when_anything_signed_differs(
    secret: str, timestamp: int, body: bytes
) -> None:
    signature = webhook.sign("s3cret", 1700000000, b"{}")
    assert not webhook.verify(secret, timestamp, body, signature)
