"""The tenant's Activity page: its own account's events only, newest first, filtered, paged,
linking to objects that still exist, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.activity import EVENTS_PER_PAGE
from portal.choices import AuditAction, AuditVia
from portal.models import AuditEvent
from tests.vpn.conftest import make_cgw
from vpn.actions import delete_customer_gateway

URL = reverse("accounts:activity")


def _events(account, n: int, **fields):  # type: ignore[no-untyped-def]
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            **{
                "account": account,
                "via": AuditVia.PORTAL,
                "action": AuditAction.RESET,
                "actor_name": "alice",
                "when": now - timedelta(minutes=i),
                "object_label": f"event {i}",
                **fields,
            }
        )
        for i in range(n)
    )


@pytest.mark.django_db
def test_it_shows_the_accounts_events_newest_first(alice_client, alice, connection) -> None:
    page = alice_client.get(URL).content.decode().partition("<tbody>")[2]
    assert page.index("↔") < page.index("VPN gateway") < page.index(">prod<")
    assert "hq (203.0.113.10)" in page


@pytest.mark.django_db
def test_it_never_shows_another_accounts_events(charlie_client, connection) -> None:
    page = charlie_client.get(URL).content.decode()
    assert "hq (203.0.113.10)" not in page and "prod" not in page


@pytest.mark.django_db
def test_it_is_a_404_for_staff_without_an_account(client, operator) -> None:
    client.force_login(operator)
    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_it_links_an_object_only_while_it_exists(alice_client, alice) -> None:
    cgw = make_cgw(alice.account, name="short-lived")
    link = f'href="{cgw.get_absolute_url()}"'
    assert link in alice_client.get(URL).content.decode()
    delete_customer_gateway(cgw)
    page = alice_client.get(URL).content.decode()
    assert link not in page and "short-lived" in page


@pytest.mark.django_db
def test_it_filters_by_action_and_by_object_type(alice_client, connection) -> None:
    page = alice_client.get(URL, {"action": "created", "type": "vpn.customergateway"})
    text = page.content.decode()
    assert "hq (203.0.113.10)" in text and "↔" not in text and ">prod<" not in text


@pytest.mark.django_db
def test_it_pages_and_keeps_the_filters_in_the_page_links(alice_client, alice) -> None:
    _events(alice.account, EVENTS_PER_PAGE + 1)
    first = alice_client.get(URL, {"action": "reset"}).content.decode()
    assert "event 0<" in first and f"event {EVENTS_PER_PAGE}<" not in first
    assert "?action=reset&amp;page=2" in first
    second = alice_client.get(URL, {"action": "reset", "page": 2}).content.decode()
    assert f"event {EVENTS_PER_PAGE}<" in second


@pytest.mark.django_db
def test_it_names_operators_but_not_their_usernames(alice_client, alice, operator) -> None:
    _events(alice.account, 1, via=AuditVia.ADMIN, actor=operator)
    AuditEvent.objects.filter(via=AuditVia.ADMIN).update(actor_name="root")
    page = alice_client.get(URL).content.decode()
    assert "An operator" in page and ">root<" not in page


@pytest.mark.django_db
def test_it_shows_the_time_with_utc_in_a_title(alice_client, alice) -> None:
    _events(alice.account, 1)
    assert ' UTC"' in alice_client.get(URL).content.decode()


@pytest.mark.django_db
def test_it_lists_in_a_constant_number_of_queries(alice_client, alice, connection) -> None:
    def queries() -> int:
        with CaptureQueriesContext(db) as captured:
            assert alice_client.get(URL).status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        make_cgw(alice.account, name=f"site-{n}", ip=f"203.0.113.{20 + n}")
    _events(alice.account, 20)
    assert queries() == few
