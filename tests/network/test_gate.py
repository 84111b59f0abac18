"""One gate: the admin site writes VPCs, tiers and the public IP pool through the same actions
and model rules as the portal, and tells the routers."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from network import dispatch
from network.models import PublicIp, Router, Tier, Vpc


@pytest.fixture
def operator_client(client, django_user_model):  # type: ignore[no-untyped-def]
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    return client


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str, tuple[int, ...]]]:  # type: ignore[no-untyped-def]
    """What the network nodes were sent: (node, task, arguments)."""
    messages: list[tuple[str, str, tuple[int, ...]]] = []

    def send(node, task: str, *args: int, what: str = "") -> bool:  # type: ignore[no-untyped-def]
        messages.append((node.name if node else "", task, args))
        return True

    monkeypatch.setattr(dispatch, "send", send)
    return messages


# VPCs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_leaves_making_and_editing_vpcs_to_tenants(operator_client, vpc) -> None:
    assert operator_client.get(reverse("admin:network_vpc_add")).status_code == 403
    change = reverse("admin:network_vpc_change", args=[vpc.pk])
    response = operator_client.post(change, {"name": "renamed", "cidr": "10.9.0.0/16"})
    assert response.status_code == 403
    vpc.refresh_from_db()
    assert (vpc.name, vpc.cidr) == ("prod", "10.1.0.0/16")


@pytest.mark.django_db
def test_it_deletes_a_vpc_in_the_admin_through_the_action(
    operator_client, vpc, sent, django_capture_on_commit_callbacks
) -> None:
    router = Router.objects.get(vpc=vpc)
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("admin:network_vpc_delete", args=[vpc.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Vpc.objects.exists()
    assert sent == [("unit-a", dispatch.REMOVE_ROUTER, (router.pk,))]


@pytest.mark.django_db
def test_it_keeps_a_vpcs_account_and_cidr(vpc, globex) -> None:
    vpc.account, vpc.cidr = globex, "10.9.0.0/16"
    with pytest.raises(ValidationError) as refused:
        vpc.full_clean()
    assert set(refused.value.message_dict) == {"account", "cidr"}


# Tiers --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_adds_a_tier_in_the_admin_through_the_action(
    operator_client, vpc, sent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("admin:network_tier_add"),
            {"vpc": vpc.pk, "name": "app", "cidr": "10.1.2.0/24", "gateway": ""},
        )
    assert response.status_code == 302
    assert Tier.objects.get(vpc=vpc, name="app").gateway == "10.1.2.1"
    router = Router.objects.get(vpc=vpc)
    assert sent == [("unit-a", dispatch.BUILD_ROUTER, (router.pk,))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cidr": "10.9.1.0/24"}, "is outside the VPC CIDR"),
        ({"cidr": "10.1.1.128/25"}, "overlaps tier web"),
        ({"vpc": ""}, "This field is required"),
    ],
)
def test_it_refuses_a_bad_tier_in_the_admin(operator_client, vpc, sent, fields, message) -> None:
    response = operator_client.post(
        reverse("admin:network_tier_add"),
        {"vpc": vpc.pk, "name": "app", "cidr": "10.1.2.0/24", "gateway": "", **fields},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert vpc.tiers.count() == 1
    assert sent == []


@pytest.mark.django_db
def test_it_keeps_a_vpcs_last_tier_in_the_admin(operator_client, vpc) -> None:
    tier = vpc.tiers.get()
    response = operator_client.post(
        reverse("admin:network_tier_delete", args=[tier.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "keeps at least one tier" in response.content.decode()
    assert vpc.tiers.count() == 1


@pytest.mark.django_db
def test_it_keeps_every_tier_when_one_of_a_bulk_delete_is_refused(
    operator_client, vpc, sent, django_capture_on_commit_callbacks
) -> None:
    other = Tier.objects.create(vpc=vpc, name="app", cidr="10.1.2.0/24", gateway="10.1.2.1")
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("admin:network_tier_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [other.pk, *vpc.tiers.values_list("pk", flat=True)],
                "post": "yes",
            },
            follow=True,
        )
    assert "keeps at least one tier" in response.content.decode()
    assert vpc.tiers.count() == 2
    assert sent == []


# The public IP pool -------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_no_staff_without_the_add_permission_grow_the_pool(
    client, django_user_model
) -> None:
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_publicip"))
    client.force_login(staff)
    changelist = client.get(reverse("admin:network_publicip_changelist")).content.decode()
    assert "add-range" not in changelist
    add_range = reverse("admin:network_publicip_add_range")
    assert client.get(add_range).status_code == 403
    response = client.post(add_range, {"cidr": "203.0.113.0/30", "note": ""})
    assert response.status_code == 403
    assert not PublicIp.objects.exists()

    staff.user_permissions.add(Permission.objects.get(codename="add_publicip"))
    client.force_login(django_user_model.objects.get(pk=staff.pk))  # fresh permission cache
    assert client.post(add_range, {"cidr": "203.0.113.0/30", "note": ""}).status_code == 302
    assert sorted(PublicIp.objects.values_list("address", flat=True)) == [
        "203.0.113.1",
        "203.0.113.2",
    ]


@pytest.mark.django_db
def test_it_adds_only_public_addresses_to_the_pool(operator_client) -> None:
    response = operator_client.post(
        reverse("admin:network_publicip_add_range"), {"cidr": "10.0.0.0/30", "note": ""}
    )
    assert "is a private address" in response.content.decode()
    assert not PublicIp.objects.exists()


@pytest.mark.django_db
def test_it_keeps_the_address_a_router_uses(vpc) -> None:
    address = Router.objects.get(vpc=vpc).source_nat_ip
    address.address = "198.51.100.99"
    with pytest.raises(ValidationError) as refused:
        address.full_clean()
    assert "A router uses this address" in refused.value.message_dict["address"][0]
