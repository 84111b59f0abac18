"""The alert settings form. It shapes input (addresses one per line or comma-separated); the
rules are AlertSettings.clean()'s, so the admin passes the same gate."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from alerts.models import AlertSettings


class EmailListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: str | None) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part for part in re.split(r"[\s,;]+", text) if part]

    def prepare_value(self, value: object) -> object:
        return "\n".join(value) if isinstance(value, list) else value


class AlertSettingsForm(forms.ModelForm):
    emails = EmailListField(
        label=_("Email addresses"),
        required=False,
        help_text=_("Up to 5, one per line."),
    )

    class Meta:
        model = AlertSettings
        fields = [
            "down_after_minutes",
            "email_enabled",
            "emails",
            "webhook_enabled",
            "webhook_url",
        ]
