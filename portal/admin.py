from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.models import Account, User


class UserInline(admin.TabularInline):
    model = User
    fields = ["username", "email", "is_active", "last_login"]
    readonly_fields = ["last_login"]
    extra = 0
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "user_count", "vpc_count", "created"]
    list_filter = ["is_active", "created"]
    search_fields = ["name", "users__username"]
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
