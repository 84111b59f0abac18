"""Operators' actions in the admin are recorded with the staff user and the door "admin", and
the log itself is read-only there."""

import pytest
from django.urls import reverse
from django.utils import timezone

from network.models import NetworkNode, Router
from portal.models import AuditEvent


@pytest.fixture
def operator_client(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    return client


@pytest.mark.django_db
def test_it_records_an_operators_reset_in_the_admin(operator_client, operator, connection) -> None:
    operator_client.post(
        reverse("admin:vpn_vpnconnection_changelist"),
        {"action": "reset", "_selected_action": [connection.pk]},
    )
    event = AuditEvent.objects.get(action="reset")
    assert (event.actor, event.actor_name, event.via) == (operator, "root", "admin")
    assert event.account == connection.gateway.vpc.account


@pytest.mark.django_db
def test_it_records_an_operators_delete_in_the_admin(operator_client, operator, alice) -> None:
    from tests.vpn.conftest import make_cgw

    cgw = make_cgw(alice.account, name="idle")
    operator_client.post(
        reverse("admin:vpn_customergateway_delete", args=[cgw.pk]), {"post": "yes"}
    )
    event = AuditEvent.objects.get(action="deleted")
    assert (event.actor, event.via, event.object_label) == (operator, "admin", str(cgw))


@pytest.mark.django_db
def test_it_records_draining_a_node_and_moving_a_router(operator_client, operator, connection):  # type: ignore[no-untyped-def]
    old = NetworkNode.objects.get(name="unit-a")
    new = NetworkNode.objects.create(name="unit-b", last_heartbeat=timezone.now())
    operator_client.post(
        reverse("admin:network_networknode_changelist"),
        {"action": "drain", "_selected_action": [old.pk]},
    )
    router = Router.objects.get()
    operator_client.post(
        reverse("admin:network_router_changelist"),
        {"action": "move_routers", "_selected_action": [router.pk], "node": ""},
    )
    drained = AuditEvent.objects.get(action="changed", object_type="network.networknode")
    assert (drained.actor, drained.via, drained.account) == (operator, "admin", None)
    assert drained.detail == {"fields": ["draining"], "draining": True}
    moved = AuditEvent.objects.get(action="moved")
    assert moved.detail == {"from": "unit-a", "to": new.name}
    assert moved.account == connection.gateway.vpc.account


@pytest.mark.django_db
def test_it_lists_the_log_but_lets_nobody_add_change_or_delete_an_event(
    operator_client, connection
) -> None:
    event = AuditEvent.objects.filter(action="created").first()
    assert event is not None
    changelist = reverse("admin:portal_auditevent_changelist")
    page = operator_client.get(changelist, {"q": "hq"})
    assert page.status_code == 200 and "hq (203.0.113.10)" in page.content.decode()
    assert operator_client.get(reverse("admin:portal_auditevent_add")).status_code == 403
    change = operator_client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    delete = reverse("admin:portal_auditevent_delete", args=[event.pk])
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_it_refuses_to_change_a_stored_event(connection) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    event.object_label = "rewritten"
    with pytest.raises(ValueError, match="never changed"):
        event.save()


@pytest.mark.django_db
def test_it_keeps_an_operators_platform_action_out_of_the_operators_own_account(
    client, django_user_model, alice, live_node
) -> None:
    staff = django_user_model.objects.create_superuser("ops", password="x", account=alice.account)
    client.force_login(staff)
    client.post(
        reverse("admin:network_networknode_changelist"),
        {"action": "drain", "_selected_action": [live_node.pk]},
    )
    event = AuditEvent.objects.get(object_type="network.networknode")
    assert (event.actor, event.account) == (staff, None)
