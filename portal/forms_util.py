"""Turning an action's ValidationError into form errors."""

from django import forms
from django.core.exceptions import ValidationError


def add_action_errors(
    form: forms.BaseForm, error: ValidationError, field_map: dict[str, str] | None = None
) -> None:
    """Attach errors raised by an action (model ``full_clean`` or a rule) to the form's fields."""
    field_map = field_map or {}
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field_map.get(field, field)
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
