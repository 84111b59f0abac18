"""What the portal's own form says to the same input: the API must say the same."""

from typing import Any

from django.test import Client


def portal_errors(client: Client, url: str, data: dict[str, Any]) -> dict[str, list[str]]:
    """The form errors of the portal page at `url` after posting `data` (booleans as the
    browser sends them: present when true)."""
    form_data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(url, form_data)
    form = response.context["form"]
    errors = {field: list(messages) for field, messages in form.errors.items()}
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return errors
