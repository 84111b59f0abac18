from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from portal.models import QUOTA_DEFAULTS, Account, AuditEvent, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows operators may look at but never add, change or delete here (logs, and rows only
    the portal's own doors write); custom actions still say what they need."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ThroughActionsAdmin(admin.ModelAdmin):
    """The admin of a model whose writes go through its app's actions (its save_model,
    delete_model and delete_queryset call them), so an operator passes the tenant's gate and
    the routers hear of the change.

    The form already checked the model's rules; what an action can still refuse (a quota reached
    or a row changed since) comes back as an error message on the same page, never a server
    error, and the whole request's writes are rolled back.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:  # its atomic block rolled back
            return self._refused(request, error)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:  # its atomic block rolled back
            return self._refused(request, error)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            with transaction.atomic():  # a bulk action (delete_queryset) is all or nothing
                return super().changelist_view(request, extra_context)
        except ValidationError as error:
            return self._refused(request, error)

    def _refused(self, request: HttpRequest, error: ValidationError) -> HttpResponse:
        for message in error.messages:
            self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        raise NotImplementedError("an admin that writes through actions names its delete action")


class UserInline(admin.TabularInline):
    model = User
    fields = ["username", "email", "is_active", "last_login"]
    readonly_fields = ["last_login"]
    extra = 0
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "user_count", "vpc_count", "quotas", "created"]
    list_filter = ["is_active", "created"]
    search_fields = ["name", "users__username"]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        (
            _("Quotas"),
            {
                "fields": list(QUOTA_DEFAULTS),
                "description": _("Leave a quota empty for the default of the settings."),
            },
        ),
    ]
    inlines = [UserInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return (
            super()
            .get_queryset(request)
            .annotate(_users=Count("users", distinct=True), _vpcs=Count("vpcs", distinct=True))
        )

    @admin.display(description=_("users"), ordering="_users")
    def user_count(self, obj: Account) -> int:
        return obj._users  # type: ignore[attr-defined]

    @admin.display(description=_("VPCs"), ordering="_vpcs")
    def vpc_count(self, obj: Account) -> int:
        return obj._vpcs  # type: ignore[attr-defined]

    @admin.display(description=_("quotas (VPCs / customer gateways / connections)"))
    def quotas(self, obj: Account) -> str:
        return " / ".join(str(obj.limit(field)) for field in QUOTA_DEFAULTS)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "account", "is_staff", "is_active", "last_login"]
    list_filter = ["account", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["account"]
    search_fields = ["username", "email", "account__name"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Tenancy"), {"fields": ["account"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "account", "password1", "password2"]}),
    ]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Every account's audit log and the platform's, read-only: events are appended by
    ``portal.audit.record`` and pruned by beat, never added, changed or deleted here."""

    list_display = ["when", "account", "actor_name", "via", "action", "object_label", "address"]
    list_filter = ["via", "action", "account"]
    list_select_related = ["account"]
    search_fields = ["actor_name", "object_label", "address"]
    date_hierarchy = "when"
    fields = (
        "when",
        "account",
        "actor",
        "actor_name",
        "via",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "address",
        "detail",
    )
    readonly_fields = fields
