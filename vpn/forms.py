"""Tenant forms of the VPN app. Field rules live here; rules across objects in vpn/rules.py."""

import string
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from network import addressing
from network.models import PublicIp
from portal.models import Account
from vpn import policies
from vpn.choices import IkeVersion
from vpn.models import CustomerGateway
from vpn.models.gateways import LIFETIME_MAX, LIFETIME_MIN

PSK_FORBIDDEN = set("'\"\\\n\r")
PSK_ALLOWED = set(string.printable) - set(string.whitespace) | {" "}


def validate_psk(value: str) -> None:
    if not 8 <= len(value) <= 64:
        raise ValidationError(_("The pre-shared key must be 8 to 64 characters long."))
    bad = sorted({c for c in value if c in PSK_FORBIDDEN or c not in PSK_ALLOWED})
    if bad:
        raise ValidationError(
            _(
                "The pre-shared key may hold printable ASCII only, without quotes, "
                "backslash or line breaks (they break device configurations)."
            )
        )


class CustomerGatewayForm(forms.ModelForm):
    psk = forms.CharField(
        label=_l("IPsec pre-shared key"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_l("8 to 64 printable ASCII characters; no quotes, backslash or line breaks."),
    )

    class Meta:
        model = CustomerGateway
        fields = [
            "name",
            "gateway_ip",
            "cidr_list",
            "psk",
            "ike_encryption",
            "ike_integrity",
            "ike_dh",
            "esp_encryption",
            "esp_integrity",
            "esp_pfs",
            "ike_lifetime",
            "esp_lifetime",
            "dpd_enabled",
            "dpd_delay",
            "dpd_timeout",
            "ike_version",
            "split_connections",
            "force_encap",
        ]
        widgets = {
            "cidr_list": forms.Textarea(
                attrs={"rows": 3, "placeholder": "192.168.10.0/24, 192.168.20.0/24"}
            ),
            "gateway_ip": forms.TextInput(attrs={"placeholder": "203.0.113.10"}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        legacy = bool(settings.PORTAL["ALLOW_LEGACY_CRYPTO"])
        # `fields` is typed dict[str, Field]; these are ChoiceFields (from the model choices).
        for name in ("ike_encryption", "esp_encryption"):
            self.fields[name].choices = policies.encryption_choices(legacy)  # type: ignore[attr-defined]
        self.fields["ike_dh"].choices = policies.dh_choices(legacy)  # type: ignore[attr-defined]
        self.fields["esp_pfs"].choices = policies.pfs_choices(legacy)  # type: ignore[attr-defined]
        self.fields["esp_integrity"].required = False
        self.fields["gateway_ip"] = forms.CharField(
            label=_l("Gateway"),
            help_text=_l("The public IPv4 address of your VPN device."),
            widget=forms.TextInput(attrs={"placeholder": "203.0.113.10"}),
        )
        self.fields["cidr_list"].help_text = _(
            "The networks behind your device, comma or newline separated (at most %(n)d)."
        ) % {"n": settings.PORTAL["MAX_REMOTE_CIDRS"]}
        for name in ("ike_lifetime", "esp_lifetime"):
            self.fields[name].widget.attrs.update(min=LIFETIME_MIN, max=LIFETIME_MAX)
            self.fields[name].help_text = _("%(lo)d to %(hi)d seconds.") % {
                "lo": LIFETIME_MIN,
                "hi": LIFETIME_MAX,
            }
        if self.instance.pk:
            self.fields["psk"].required = False
            self.fields["psk"].label = _("Replace pre-shared key")
            self.fields["psk"].help_text = _("Current key: %(mask)s. Leave empty to keep it.") % {
                "mask": self.instance.psk_masked
            }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter a name."))
        taken = CustomerGateway.objects.filter(account=self.account, name=name).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise ValidationError(_("You already have a customer gateway with this name."))
        return name

    def clean_gateway_ip(self) -> str:
        address = str(addressing.public_address(self.cleaned_data["gateway_ip"]))
        if PublicIp.objects.filter(address=address).exists():
            raise ValidationError(
                _("%(ip)s is one of this cloud's own public addresses, not your device's.")
                % {"ip": address}
            )
        return address

    def clean_cidr_list(self) -> str:
        items = addressing.split_cidrs(self.cleaned_data["cidr_list"])
        if not items:
            raise ValidationError(_("Enter at least one remote network."))
        limit = settings.PORTAL["MAX_REMOTE_CIDRS"]
        if len(items) > limit:
            raise ValidationError(_("At most %(n)d remote networks.") % {"n": limit})
        networks = [addressing.parse_network(item) for item in items]
        overlap = addressing.first_overlap(networks)
        if overlap:
            raise ValidationError(
                _("%(a)s and %(b)s overlap.") % {"a": overlap[0], "b": overlap[1]}
            )
        return ", ".join(str(n) for n in networks)

    def clean_psk(self) -> str:
        psk = self.cleaned_data.get("psk") or ""
        if psk or not self.instance.pk:
            validate_psk(psk)
        return psk

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for field in ("ike_lifetime", "esp_lifetime"):
            value = data.get(field)
            if value is not None and not LIFETIME_MIN <= value <= LIFETIME_MAX:
                self.add_error(
                    field,
                    _("Must be %(lo)d to %(hi)d seconds.")
                    % {"lo": LIFETIME_MIN, "hi": LIFETIME_MAX},
                )
        if data.get("dpd_enabled"):
            delay, timeout = data.get("dpd_delay"), data.get("dpd_timeout")
            if delay is not None and delay < 1:
                self.add_error("dpd_delay", _("The DPD delay must be at least 1 second."))
            if delay and timeout is not None and timeout <= delay:
                self.add_error("dpd_timeout", _("The DPD timeout must be longer than the delay."))
        if data.get("split_connections") and data.get("ike_version") == IkeVersion.IKEV1:
            self.add_error("split_connections", _("Split connections need IKEv2."))
        encryption = data.get("esp_encryption")
        if encryption and encryption not in policies.AEAD and not data.get("esp_integrity"):
            self.add_error(
                "esp_integrity", _("Choose an integrity algorithm (only GCM goes without).")
            )
        if encryption in policies.AEAD:
            data["esp_integrity"] = ""
        return data

    def proposals(self) -> tuple[str, str] | None:
        """The strongSwan proposal strings the chosen policy maps to, for the tenant's device."""
        source = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else None

        def get(field: str) -> Any:
            """A cleaned value (None if the field did not validate), else the instance's."""
            return source.get(field) if source else getattr(self.instance, field)

        required = ("ike_encryption", "ike_integrity", "ike_dh", "esp_encryption", "esp_pfs")
        if any(get(field) is None for field in required):
            return None  # a policy field did not validate: no proposal to show
        try:
            return (
                policies.ike_proposal(get("ike_encryption"), get("ike_integrity"), get("ike_dh")),
                policies.esp_proposal(get("esp_encryption"), get("esp_integrity"), get("esp_pfs")),
            )
        except (KeyError, ValueError, TypeError):
            return None


class ConnectionForm(forms.Form):
    customer_gateway = forms.ModelChoiceField(
        label=_l("Customer Gateway"),
        queryset=CustomerGateway.objects.none(),
        empty_label=_l("Select a customer gateway"),
    )
    passive = forms.BooleanField(
        label=_l("Passive"),
        required=False,
        help_text=_l("Only respond: your device starts the tunnel."),
    )

    def __init__(self, *args: Any, queryset: QuerySet[CustomerGateway], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `fields` is typed dict[str, Field]; this one is the ModelChoiceField declared above.
        self.fields["customer_gateway"].queryset = queryset  # type: ignore[attr-defined]
        self.fields["customer_gateway"].label_from_instance = (  # type: ignore[attr-defined]
            lambda cg: f"{cg.name} ({cg.gateway_ip})"
        )
