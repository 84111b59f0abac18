"""Another account's VPCs and tiers are a 404 on every URL; anonymous users go to the login."""

import pytest
from django.urls import reverse


def _urls(vpc):  # type: ignore[no-untyped-def]
    tier = vpc.tiers.get()
    return [
        ("get", reverse("network:vpc-detail", args=[vpc.pk])),
        ("get", reverse("network:vpc-configure", args=[vpc.pk])),
        ("get", reverse("network:vpc-delete", args=[vpc.pk])),
        ("post", reverse("network:vpc-delete", args=[vpc.pk])),
        ("get", reverse("network:tier-add", args=[vpc.pk])),
        ("post", reverse("network:tier-add", args=[vpc.pk])),
        ("post", reverse("network:tier-delete", args=[vpc.pk, tier.pk])),
    ]


@pytest.mark.django_db
def test_it_returns_404_for_every_url_of_another_accounts_vpc(charlie_client, vpc) -> None:
    for method, url in _urls(vpc):
        response = getattr(charlie_client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    vpc.refresh_from_db()
    assert vpc.tiers.count() == 1


@pytest.mark.django_db
def test_it_hides_other_accounts_vpcs_from_the_list(charlie_client, vpc) -> None:
    response = charlie_client.get(reverse("network:vpc-list"))
    assert response.status_code == 200
    assert f">{vpc.name}<".encode() not in response.content  # the name as rendered text


@pytest.mark.django_db
def test_it_requires_login_on_every_tenant_page(client, vpc) -> None:
    urls = [reverse("network:vpc-list"), reverse("network:vpc-create")] + [
        u for _m, u in _urls(vpc)
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.django_db
def test_it_shows_the_vpc_to_a_colleague_of_the_same_account(client, bob, vpc) -> None:
    client.force_login(bob)
    response = client.get(reverse("network:vpc-detail", args=[vpc.pk]))
    assert response.status_code == 200
    assert b"Configure" in response.content
