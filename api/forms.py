"""The token page's form. It shapes input; the rules (the per-account limit, the expiry's range)
are api/actions.py's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from api.actions import MAX_EXPIRES_DAYS
from api.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=ApiToken._meta.get_field("name").help_text,
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_EXPIRES_DAYS,
        help_text=_("Empty: the token works until it is revoked."),
    )
