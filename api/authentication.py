"""`Authorization: Bearer s2s_…`: the token's user, acting for the token's account."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import TOKEN_PREFIX, ApiToken, digest

# last_used is written at most this often per token: one UPDATE a minute, not one a request.
LAST_USED_EVERY = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give one token after “Bearer”."))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        if not token.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        found = (
            ApiToken.objects.usable()
            .select_related("user", "account")
            .filter(digest=digest(token))
            .first()
        )
        if found is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid, expired or revoked."))
        user, account = found.user, found.account
        if not user.is_active or not account.is_active or user.account_id != account.pk:
            raise exceptions.AuthenticationFailed(_("This token's user or account is disabled."))
        now = timezone.now()
        if found.last_used is None or now - found.last_used > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used=now)
        # The tenancy door (portal.tenancy) reads the account from the request, as for a page.
        request._request.account = account
        return user, found

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
