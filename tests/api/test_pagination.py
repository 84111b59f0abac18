"""Lists are cursor-paginated by id: every row once, in id order, whatever the page size."""

import base64

import pytest
from django.urls import reverse

from tests.vpn.conftest import make_cgw

pytestmark = pytest.mark.django_db


def test_it_walks_every_row_once_in_id_order(api, alice) -> None:  # type: ignore[no-untyped-def]
    created = [
        make_cgw(
            alice.account, name=f"cg-{n}", ip=f"203.0.113.{n + 1}", cidrs=f"172.16.{n}.0/24"
        ).pk
        for n in range(5)
    ]
    url, seen, pages = reverse("api:customer-gateway-list") + "?page_size=2", [], 0
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(created)
    assert pages == 3


def test_it_answers_404_to_a_cursor_it_did_not_make(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get(reverse("api:vpc-list"), {"cursor": "abc"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_it_answers_404_to_a_cursor_whose_position_is_not_an_id(api) -> None:  # type: ignore[no-untyped-def]
    forged = base64.b64encode(b"p=abc").decode()
    assert api.get(reverse("api:vpc-list"), {"cursor": forged}).status_code == 404
