"""`manage.py create_api_token USERNAME [--name N] [--expires-days D]` prints a new token only."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from api.models import ApiToken, digest
from portal.models import User

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_it_prints_only_a_new_token_of_the_users_account(alice) -> None:  # type: ignore[no-untyped-def]
    printed = _run("alice", "--name", "deploy").strip()
    token = ApiToken.objects.get()
    assert printed.startswith("s2s_") and "\n" not in printed
    assert (token.digest, token.name, token.user, token.account) == (
        digest(printed),
        "deploy",
        alice,
        alice.account,
    )


def test_it_sets_the_expiry(alice) -> None:  # type: ignore[no-untyped-def]
    _run("alice", "--expires-days", "7")
    assert ApiToken.objects.get().expires is not None


def test_it_names_an_unknown_user(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        _run("nobody")


def test_it_refuses_a_user_without_an_account(db) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_user("ops", password="x", is_staff=True)
    with pytest.raises(CommandError, match="no tenant account"):
        _run("ops")


def test_it_says_why_when_the_account_has_too_many_tokens(alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_API_TOKENS_PER_ACCOUNT = 1
    _run("alice")
    with pytest.raises(CommandError, match="1 of 1 API tokens"):
        _run("alice")


def test_it_refuses_a_bad_expiry(alice) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="Between 1 and"):
        _run("alice", "--expires-days", "0")
