"""Tenant forms of the VPN app. They shape input (choices, widgets, help); the rules are the
models' (`clean()` calling vpn/policies.py and vpn/rules.py) and the actions'."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from portal.models import Account
from vpn import policies, presets, rules
from vpn.choices import CryptoStatus, IdentityType
from vpn.models import CustomerGateway
from vpn.models.gateways import LIFETIME_MAX, LIFETIME_MIN
from vpn.models.policy import allow_legacy, crypto_rules


class CustomerGatewayForm(forms.ModelForm):
    psk = forms.CharField(
        label=_l("IPsec pre-shared key"),
        strip=False,
        validators=[rules.validate_psk],  # the action's own check, shown with the other fields
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
            "remote_id_type",
            "remote_id",
            "local_id_type",
            "local_id",
        ]
        widgets = {
            "cidr_list": forms.Textarea(
                attrs={"rows": 3, "placeholder": "192.168.10.0/24, 192.168.20.0/24"}
            ),
            "gateway_ip": forms.TextInput(attrs={"placeholder": "203.0.113.10"}),
            "remote_id": forms.TextInput(attrs={"placeholder": "sun.example.com"}),
            "local_id": forms.TextInput(attrs={"placeholder": "moon.example.com"}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.instance.account = account  # the model's rules (a unique name) are per account
        self.crypto_rules, self.allow_legacy = crypto_rules(), allow_legacy()
        # The operator's crypto policy: forbidden values are not offered (but the one a gateway
        # has, so that its refusal shows next to it), deprecated ones are marked.
        for name in policies.FIELD_KINDS:
            field = self.fields[name]  # a ChoiceField (typed Field): from the model's choices
            field.choices = policies.policy_choices(  # type: ignore[attr-defined]
                name,
                [c for c in field.choices if c[0] != ""],  # type: ignore[attr-defined]
                self.crypto_rules,
                allow_legacy=self.allow_legacy,
                keep=getattr(self.instance, name) if self.instance.pk else "",
            )
        self.presets = presets.offered(self.crypto_rules, allow_legacy=self.allow_legacy)
        self.preset_hints = presets.unavailable_hints(
            self.crypto_rules, allow_legacy=self.allow_legacy
        )
        self.fields["esp_integrity"].required = False
        # Text, so that the model's address rules say what is wrong with it (vpn/rules.py).
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
        # Identities are optional: a form (or an API client) that leaves them out keeps the
        # public IPs, as before identities existed.
        for name in ("remote_id_type", "local_id_type"):
            self.fields[name].required = False
        if self.instance.pk:
            self.fields["psk"].required = False
            self.fields["psk"].label = _("Replace pre-shared key")
            self.fields["psk"].help_text = _("Current key: %(mask)s. Leave empty to keep it.") % {
                "mask": self.instance.psk_masked
            }

    @classmethod
    def refilled(
        cls,
        data: Mapping[str, Any] | None,
        *,
        instance: CustomerGateway,
        account: Account,
        changes: Mapping[str, Any],
    ) -> "CustomerGatewayForm":
        """The form again, unsaved and without errors: what the tenant typed (``data``; the
        stored values without it) with ``changes`` on top (a preset, a generated key)."""
        typed = cls(data, instance=instance, account=account)
        initial = {name: typed[name].value() for name in typed.fields}
        # A key the tenant typed is never sent back (as after a failed save): they type it again.
        dropped = bool(initial.pop("psk", "")) and "psk" not in changes
        initial.update(changes)
        form = cls(instance=instance, account=account, initial=initial)
        form.psk_dropped = dropped
        return form

    psk_dropped = False  # refilled() left out a key the tenant had typed

    def clean_remote_id_type(self) -> str:
        return str(self.cleaned_data.get("remote_id_type") or IdentityType.IP)

    def clean_local_id_type(self) -> str:
        return str(self.cleaned_data.get("local_id_type") or IdentityType.IP)

    def reveal_psk(self) -> None:
        """Show the key field's value in clear (a generated key, shown this once)."""
        self.fields["psk"].widget = forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}
        )

    def policy_warnings(self) -> list[policies.Finding]:
        """The chosen values the operator deprecated or forbade (the form's data when bound,
        else its initial values and the gateway's): warnings, never a refusal by themselves."""
        values = {}
        for name in policies.FIELD_KINDS:
            bound = self[name]
            values[name] = str(bound.value() or "")
        if values.get("esp_encryption") in policies.AEAD:
            values["esp_integrity"] = ""
        return policies.policy_findings(values, self.crypto_rules, allow_legacy=self.allow_legacy)

    def deprecated(self) -> list[policies.Finding]:
        return [f for f in self.policy_warnings() if f.status == CryptoStatus.DEPRECATED]

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
