"""Operators' view of alerts: settings editable (through the same rules as the tenant's page),
incidents and deliveries read-only (they are what happened)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alerts import actions
from alerts.forms import AlertSettingsForm
from alerts.models import AlertSettings, Delivery, Incident, IncidentConnection
from portal.admin import ReadOnlyAdmin


class AlertSettingsAdminForm(AlertSettingsForm):
    class Meta(AlertSettingsForm.Meta):
        fields = ["account", *AlertSettingsForm.Meta.fields]


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    form = AlertSettingsAdminForm
    list_display = ["account", "down_after_minutes", "email_enabled", "webhook_enabled", "updated"]
    list_select_related = ["account"]
    search_fields = ["account__name", "webhook_url"]

    def save_model(self, request: HttpRequest, obj: AlertSettings, form: Any, change: bool) -> None:
        actions.save_settings(obj)  # a new webhook secret is the tenant's to see: they rotate it


class IncidentConnectionInline(admin.TabularInline):
    model = IncidentConnection
    fields = readonly_fields = ("connection", "name", "down_since", "joined")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "account", "state", "opened", "closed"]
    list_filter = ["state", "opened"]
    list_select_related = ["account"]
    search_fields = ["account__name"]
    inlines = [IncidentConnectionInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "account",
        "incident",
        "kind",
        "channel",
        "status",
        "attempts",
        "last_error",
        "next_try",
        "sent_at",
        "created",
    ]
    list_filter = ["status", "channel", "kind", "created"]
    list_select_related = ["account", "incident"]
    search_fields = ["account__name", "target"]
