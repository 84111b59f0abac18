"""API tokens: named, scoped to one account, shown once and stored hashed."""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.choices import EXPIRED, REVOKED, TOKEN_STATES, USABLE
from portal.badges import Badge

# "s2s_" + 43 URL-safe characters (32 random bytes). The prefix makes a leaked token easy to
# recognise (secret scanners, logs); the token is random enough that SHA-256 needs no salt or
# stretching: nobody can guess their way back from the digest.
TOKEN_PREFIX = "s2s_"
SHOWN_CHARS = 8  # of the token, after the prefix: how the owner tells their tokens apart


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: datetime | None = None) -> "ApiTokenQuerySet":
        now = now or timezone.now()
        return self.filter(revoked__isnull=True).exclude(expires__lte=now)


class ApiToken(models.Model):
    """A bearer token acting as one user for one account, until it expires or is revoked."""

    tenant_path = "account"

    account = models.ForeignKey(
        "portal.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=64,
        help_text=_("What the token is for, e.g. “terraform” or “provisioning”."),
    )
    shown = models.CharField(
        verbose_name=_("token starts with"),
        max_length=len(TOKEN_PREFIX) + SHOWN_CHARS,
    )
    digest = models.CharField(
        verbose_name=_("SHA-256 of the token"),
        max_length=64,
        unique=True,
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )
    expires = models.DateTimeField(
        verbose_name=_("expires"),
        null=True,
        blank=True,
        help_text=_("Empty: until revoked."),
    )
    last_used = models.DateTimeField(
        verbose_name=_("last used"),
        null=True,
        blank=True,
    )
    revoked = models.DateTimeField(
        verbose_name=_("revoked"),
        null=True,
        blank=True,
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.shown}…)"

    @property
    def is_usable(self) -> bool:
        return self.state == USABLE

    @property
    def state(self) -> str:
        if self.revoked is not None:
            return REVOKED
        if self.expires is not None and self.expires <= timezone.now():
            return EXPIRED
        return USABLE

    def get_state_display(self) -> str:
        return str(TOKEN_STATES[self.state][0])

    @property
    def state_style(self) -> Badge:
        return TOKEN_STATES[self.state][1]


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key`` and the first response to it, kept a day
    (api/idempotency.py): a retry with the same key gets that response again instead of a
    second action. The row is taken (unique per principal and key) before the action runs, so
    two concurrent retries cannot both run it; ``status`` is empty until the response is known.

    The stored body is the API's JSON answer to a create or an action: no PSK (the API never
    returns one) and no token (tokens are not created through the API).
    """

    principal = models.CharField(
        verbose_name=_("principal"),
        max_length=32,
        help_text=_("Whose key: “token:ID” or “user:ID” (a browser session)."),
    )
    key = models.CharField(
        verbose_name=_("key"),
        max_length=255,
    )
    fingerprint = models.CharField(
        verbose_name=_("request fingerprint"),
        max_length=64,
        help_text=_("SHA-256 of the method, path, query and body the key was first used with."),
    )
    created = models.DateTimeField(
        verbose_name=_("created"),
        default=timezone.now,
        db_index=True,
    )
    status = models.PositiveSmallIntegerField(
        verbose_name=_("response status"),
        null=True,
        blank=True,
        help_text=_("Empty while the first request is still running."),
    )
    content_type = models.CharField(
        verbose_name=_("response content type"),
        max_length=100,
        blank=True,
    )
    body = models.BinaryField(
        verbose_name=_("response body"),
        blank=True,
        default=b"",
    )
    location = models.CharField(
        verbose_name=_("response Location"),
        max_length=2000,
        blank=True,
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "key"],
                name="api_idempotency_key_unique_per_principal",
                violation_error_message=_("This Idempotency-Key has been used already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
