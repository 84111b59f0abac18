"""Who may use the API: a token (or a session with CSRF) of a user acting for an account."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import User
from tests.api.conftest import bearer, token_for

pytestmark = pytest.mark.django_db


def test_it_answers_401_without_a_token(vpc) -> None:  # type: ignore[no-untyped-def]
    response = APIClient().get(reverse("api:vpc-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_answers_401_to_a_token_it_does_not_know(vpc) -> None:  # type: ignore[no-untyped-def]
    assert bearer("s2s_" + "x" * 43).get(reverse("api:vpc-list")).status_code == 401


def test_it_answers_403_to_a_user_without_an_account(db) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(User.objects.create_user(username="op", password="pw", is_staff=True))
    response = client.get(reverse("api:vpc-list"))
    assert response.status_code == 403


def test_it_takes_a_session_for_reads(alice, vpc) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(alice)
    assert client.get(reverse("api:vpc-list")).json()["results"][0]["id"] == vpc.pk


def test_it_refuses_a_session_write_without_csrf(alice, vpc) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.delete(reverse("api:vpc-detail", args=[vpc.pk]))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_it_acts_for_the_tokens_account(charlie, vpc) -> None:  # type: ignore[no-untyped-def]
    api = bearer(token_for(charlie))
    assert api.get(reverse("api:vpc-detail", args=[vpc.pk])).status_code == 404


def test_it_answers_405_to_options(api) -> None:  # type: ignore[no-untyped-def]
    assert api.options(reverse("api:vpc-list")).status_code == 405
