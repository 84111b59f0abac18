"""Detail reads carry a weak ETag; If-None-Match with it is a 304 while nothing changed."""

import pytest
from django.urls import reverse

from vpn.models import VpnConnection

pytestmark = pytest.mark.django_db


def test_it_answers_304_without_a_body_to_a_current_etag(api, cgw) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:customer-gateway-detail", args=[cgw.pk])
    etag = api.get(url)["ETag"]
    assert etag.startswith('W/"')
    again = api.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)


def test_it_answers_200_with_a_new_etag_once_the_object_changed(api, connection) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:connection-detail", args=[connection.pk])
    etag = api.get(url)["ETag"]
    VpnConnection.objects.filter(pk=connection.pk).update(state="connected")
    response = api.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["state"] == "connected"


def test_it_compares_etags_weakly_and_among_several(api, vpc) -> None:  # type: ignore[no-untyped-def]
    url = reverse("api:vpc-detail", args=[vpc.pk])
    strong = api.get(url)["ETag"].removeprefix("W/")
    response = api.get(url, headers={"If-None-Match": f'"other", {strong}'})
    assert response.status_code == 304
