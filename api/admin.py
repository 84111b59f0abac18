"""Operators' view of API tokens: who holds which, when last used, and a revoke action.

A token is the tenant's to make (its plaintext is shown once, to them); here the rows are
read-only, the digest is never shown, and revoking goes through api/actions.py like the
portal's button.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from api import actions
from api.models import ApiToken
from portal.admin import ReadOnlyAdmin

_FIELDS = ("account", "user", "name", "shown", "created", "expires", "last_used", "revoked")


class UsableFilter(admin.SimpleListFilter):
    title = _("usable")
    parameter_name = "usable"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No: revoked or expired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        usable = ApiToken.objects.usable().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=usable)
        if self.value() == "no":
            return queryset.exclude(pk__in=usable)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    # Read-only: a tenant makes a token on their API tokens page and sees it once; revoked
    # rows stay (when a token was last used is worth keeping).
    list_display = _FIELDS
    list_filter = [UsableFilter, "account", ("revoked", admin.EmptyFieldListFilter), "created"]
    list_select_related = ["account", "user"]
    search_fields = ["name", "shown", "user__username", "account__name"]
    fields = _FIELDS  # never the digest
    readonly_fields = _FIELDS
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking needs the change permission on API tokens (the rows are read-only here)."""
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = sum(actions.revoke_token(token) for token in queryset)
        self.message_user(
            request, _("%(n)d API token(s) revoked.") % {"n": count}, messages.SUCCESS
        )
