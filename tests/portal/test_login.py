import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_logs_in_and_lands_on_the_vpc_list(client, alice) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert response["Location"] == reverse("network:vpc-list")


@pytest.mark.django_db
def test_it_refuses_a_wrong_password(client, alice) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert "didn't match" in response.content.decode()


@pytest.mark.django_db
def test_it_logs_out_by_post(alice_client) -> None:
    response = alice_client.post(reverse("logout"))
    assert response.status_code == 302
    assert alice_client.get(reverse("network:vpc-list")).status_code == 302


@pytest.mark.django_db
def test_it_gives_staff_without_account_404_on_tenant_pages(client, django_user_model) -> None:
    staff = django_user_model.objects.create_user(username="op", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("network:vpc-list")).status_code == 404


@pytest.mark.django_db
def test_it_answers_the_health_check(client) -> None:
    assert client.get(reverse("healthz")).json() == {"status": "ok"}
