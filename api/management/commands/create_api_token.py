"""``manage.py create_api_token USERNAME [--name N] [--expires-days D]``: a new API token for
the user's account, printed alone on stdout (for scripts and the demo)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api import actions
from portal import audit
from portal.choices import AuditVia
from portal.models import User


class Command(BaseCommand):
    help = "Create an API token for a tenant user and print it (only the token, once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default never)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if user.account_id is None:
            raise CommandError(
                f"{user.username!r} acts for no tenant account (an operator?); API tokens "
                "belong to an account."
            )
        try:
            with audit.acting(AuditVia.COMMAND):
                _token, plaintext = actions.create_token(
                    user=user, name=options["name"], expires_days=options["expires_days"]
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(plaintext)
