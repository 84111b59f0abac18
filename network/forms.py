from django import forms
from django.utils.translation import gettext_lazy as _


class VpcForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    cidr = forms.CharField(
        label=_("CIDR"),
        max_length=18,
        help_text=_("A private IPv4 range, e.g. 10.1.0.0/16."),
    )
    tier_name = forms.CharField(label=_("First tier name"), max_length=64, initial="web")
    tier_cidr = forms.CharField(
        label=_("First tier CIDR"),
        max_length=18,
        help_text=_("Inside the VPC CIDR, e.g. 10.1.1.0/24."),
    )
    tier_gateway = forms.GenericIPAddressField(
        label=_("First tier gateway"),
        protocol="IPv4",
        required=False,
        help_text=_("Leave empty for the first host address."),
    )


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    cidr = forms.CharField(label=_("CIDR"), max_length=18)
    gateway = forms.GenericIPAddressField(
        label=_("Gateway"),
        protocol="IPv4",
        required=False,
        help_text=_("Leave empty for the first host address."),
    )
