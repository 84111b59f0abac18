"""Side effects of the API app: creating and revoking tokens. The portal's token page, the admin
and ``manage.py create_api_token`` all come through here, so the per-account limit is checked
once."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import SHOWN_CHARS, TOKEN_PREFIX, ApiToken, digest, new_token
from portal import audit
from portal.choices import AuditAction
from portal.models import Account, Quota, User

log = logging.getLogger(__name__)

MAX_EXPIRES_DAYS = 3650


def token_quota(account: Account) -> Quota:
    """The account's usable tokens and the most it may hold (``PORTAL_API_TOKENS_PER_ACCOUNT``)."""
    return Quota(
        used=ApiToken.objects.filter(account=account).usable().count(),
        limit=settings.PORTAL_API_TOKENS_PER_ACCOUNT,
        things=_("API tokens"),
    )


def quota_message(quota: Quota) -> str:
    return _(
        "This account has %(used)d of %(limit)d API tokens. Revoke one it no longer needs first."
    ) % {"used": quota.used, "limit": quota.limit}


def create_token(*, user: User, name: str, expires_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token acting as ``user`` for the user's account, and its plaintext: the one and only
    time anyone sees it (only its digest is stored). At most ``PORTAL_API_TOKENS_PER_ACCOUNT``
    usable tokens per account; revoked and expired ones do not count."""
    if user.account_id is None:
        raise ValidationError(_("API tokens belong to a tenant account; this user has none."))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationError(
            {"expires_days": _("Between 1 and %(max)d days.") % {"max": MAX_EXPIRES_DAYS}}
        )
    plaintext = new_token()
    with transaction.atomic():
        # The account's row, locked: two concurrent creates cannot both take the last place.
        account = Account.objects.select_for_update(no_key=True).get(pk=user.account_id)
        if not account.is_active:
            raise ValidationError(_("This account is disabled."))
        quota = token_quota(account)
        if quota.reached:
            raise ValidationError(quota_message(quota), code="quota")
        token = ApiToken(
            account=account,
            user=user,
            name=name.strip(),
            shown=plaintext[: len(TOKEN_PREFIX) + SHOWN_CHARS],
            digest=digest(plaintext),
            expires=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        )
        token.full_clean()
        token.save()
        audit.record(AuditAction.TOKEN_CREATED, token, label=_label(token))
    log.info("api token created id=%s account=%s user=%s", token.pk, account.pk, user.pk)
    return token, plaintext


def revoke_token(token: ApiToken) -> bool:
    """Revoke the token from now on; False if it already was (revoking is idempotent)."""
    with transaction.atomic():
        revoked = bool(
            ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(
                revoked=timezone.now()
            )
        )
        if revoked:
            audit.record(AuditAction.TOKEN_REVOKED, token, label=_label(token))
    if revoked:
        log.info("api token revoked id=%s account=%s", token.pk, token.account_id)
    token.refresh_from_db(fields=["revoked"])
    return revoked


def _label(token: ApiToken) -> str:
    """A token as the audit log names it: its name alone (not even the part shown on the page)."""
    return _("API token %(name)s") % {"name": token.name}
