"""Idempotency-Key on POST /api/v1/...: a retry gets the first answer, never a second action."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from api.models import IdempotencyKey
from tests.api.conftest import bearer, token_for
from vpn.models import CustomerGateway

pytestmark = pytest.mark.django_db

URL = "/api/v1/customer-gateways/"
NEW = {"name": "branch", "gateway_ip": "203.0.113.20", "cidr_list": "192.168.20.0/24"}
PSK = "An0ther-Secret-Key"
BODY = {**NEW, "psk": PSK}


def _post(client, key: str = "k-1", body: dict | None = None, url: str = URL):  # type: ignore[no-untyped-def]
    return client.post(url, body or BODY, format="json", headers={"Idempotency-Key": key})


def test_it_answers_a_retry_with_the_first_response(api) -> None:  # type: ignore[no-untyped-def]
    first = _post(api)
    again = _post(api)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CustomerGateway.objects.count() == 1


def test_it_runs_the_action_again_without_a_key(api) -> None:  # type: ignore[no-untyped-def]
    """The control: the same POST twice without a key is two actions (the second refused)."""
    assert api.post(URL, BODY, format="json").status_code == 201
    assert api.post(URL, BODY, format="json").status_code == 400


def test_it_refuses_the_key_for_another_body(api) -> None:  # type: ignore[no-untyped-def]
    _post(api)
    response = _post(api, body={**BODY, "name": "other"})
    assert response.status_code == 422
    assert "another request" in response.json()["detail"]
    assert CustomerGateway.objects.count() == 1


def test_it_refuses_the_key_for_another_path(api, pool, live_node) -> None:  # type: ignore[no-untyped-def]
    _post(api)
    response = _post(api, url=reverse("api:vpc-list"))
    assert response.status_code == 422


def test_it_keeps_keys_per_token(api, charlie) -> None:  # type: ignore[no-untyped-def]
    _post(api)
    response = _post(bearer(token_for(charlie)))
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert CustomerGateway.objects.count() == 2


def test_it_frees_the_key_when_the_request_was_refused(api) -> None:  # type: ignore[no-untyped-def]
    assert _post(api, body={**BODY, "gateway_ip": "nonsense"}).status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert _post(api).status_code == 201


def test_it_answers_409_while_the_first_request_runs(api, alice) -> None:  # type: ignore[no-untyped-def]
    first = _post(api, key="k-0")  # finds this token's principal and the request's fingerprint
    row = IdempotencyKey.objects.get(key="k-0")
    CustomerGateway.objects.all().delete()
    IdempotencyKey.objects.create(principal=row.principal, key="k-1", fingerprint=row.fingerprint)
    response = _post(api, key="k-1")
    assert first.status_code == 201 and response.status_code == 409
    assert response["Retry-After"] == "1"
    assert not CustomerGateway.objects.exists()


def test_it_takes_over_a_key_whose_request_died(api) -> None:  # type: ignore[no-untyped-def]
    _post(api, key="k-0")
    row = IdempotencyKey.objects.get(key="k-0")
    CustomerGateway.objects.all().delete()
    IdempotencyKey.objects.create(
        principal=row.principal,
        key="k-1",
        fingerprint=row.fingerprint,
        created=timezone.now() - timedelta(minutes=10),
    )
    assert _post(api, key="k-1").status_code == 201
    assert IdempotencyKey.objects.get(key="k-1").status == 201


def test_it_forgets_keys_after_a_day(api) -> None:  # type: ignore[no-untyped-def]
    old = IdempotencyKey.objects.create(
        principal="token:0", key="old", fingerprint="x", status=201, created=timezone.now()
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(hours=25))
    _post(api)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-1"]


def test_it_keeps_no_secret_in_the_stored_answer(api) -> None:  # type: ignore[no-untyped-def]
    _post(api)
    row = IdempotencyKey.objects.get()
    assert b'"name":"branch"' in bytes(row.body).replace(b" ", b"")
    assert PSK.encode() not in bytes(row.body)


@pytest.mark.parametrize("key", ["x" * 256, "é-key"])
def test_it_refuses_a_key_it_cannot_keep(api, key) -> None:  # type: ignore[no-untyped-def]
    response = api.post(URL, BODY, format="json", headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert not CustomerGateway.objects.exists()


def test_it_leaves_an_unauthenticated_request_to_the_view(alice) -> None:  # type: ignore[no-untyped-def]
    response = _post(bearer("s2s_" + "x" * 43))
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_it_keys_a_browser_session_by_its_user(alice_client, alice) -> None:  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": "k-1"}  # the test client waives CSRF
    first = alice_client.post(URL, BODY, content_type="application/json", headers=headers)
    again = alice_client.post(URL, BODY, content_type="application/json", headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert IdempotencyKey.objects.get().principal == f"user:{alice.pk}"


@pytest.mark.django_db(transaction=True)
def test_it_runs_concurrent_retries_once(alice) -> None:  # type: ignore[no-untyped-def]
    token = token_for(alice)
    answers: list[int] = []
    start = threading.Barrier(6)

    def retry() -> None:
        try:
            start.wait()
            answers.append(_post(bearer(token)).status_code)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One ran; the others saw it running (409) or got its answer (201). A 400 ("you already
    # have a customer gateway with this name") would mean the action ran twice.
    assert set(answers) <= {201, 409} and 201 in answers, answers
    assert CustomerGateway.objects.filter(account=alice.account).count() == 1
