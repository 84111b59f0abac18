import ipaddress

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from network.models import PublicIp, Router, Tier, Vpc


class TierInline(admin.TabularInline):
    model = Tier
    fields = ["name", "cidr", "gateway", "created"]
    readonly_fields = ["created"]
    extra = 0


@admin.register(Vpc)
class VpcAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "cidr",
        "state",
        "source_nat_ip",
        "router_state",
        "tiers",
        "created",
    ]
    list_filter = ["state", "account", "router__state"]
    list_select_related = ["account", "router__source_nat_ip"]
    search_fields = ["name", "cidr", "account__name", "router__source_nat_ip__address"]
    inlines = [TierInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vpc]:
        return super().get_queryset(request).annotate(_tiers=Count("tiers"))

    @admin.display(description=_("Source NAT IP"), ordering="router__source_nat_ip__address")
    def source_nat_ip(self, obj: Vpc) -> str:
        return obj.router.public_ip if hasattr(obj, "router") else "—"

    @admin.display(description=_("router"), ordering="router__state")
    def router_state(self, obj: Vpc) -> str:
        return obj.router.get_state_display() if hasattr(obj, "router") else "—"

    @admin.display(description=_("tiers"), ordering="_tiers")
    def tiers(self, obj: Vpc) -> int:
        return obj._tiers  # type: ignore[attr-defined]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "vpc", "cidr", "gateway", "account", "created"]
    list_filter = ["vpc__account"]
    list_select_related = ["vpc__account"]
    search_fields = ["name", "cidr", "vpc__name", "vpc__account__name"]

    @admin.display(description=_("account"), ordering="vpc__account__name")
    def account(self, obj: Tier) -> str:
        return obj.vpc.account.name


@admin.register(Router)
class RouterAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "vpc",
        "account",
        "source_nat_ip",
        "provider",
        "state",
        "state_reason",
        "last_seen",
        "queue",
        "vici_uri",
    ]
    list_filter = ["state", "provider", "vpc__account"]
    list_select_related = ["vpc__account", "source_nat_ip"]
    search_fields = ["vpc__name", "source_nat_ip__address", "vici_uri", "queue"]
    readonly_fields = ["last_seen", "reconcile_count"]

    @admin.display(description=_("account"), ordering="vpc__account__name")
    def account(self, obj: Router) -> str:
        return obj.vpc.account.name


class AddRangeForm(forms.Form):
    cidr = forms.CharField(
        label=_("Range"), help_text=_("e.g. 198.51.100.16/28; every host is added")
    )
    note = forms.CharField(label=_("Note"), required=False)

    def clean_cidr(self) -> ipaddress.IPv4Network:
        try:
            network = ipaddress.IPv4Network(self.cleaned_data["cidr"].strip(), strict=True)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if network.num_addresses > 4096:
            raise forms.ValidationError(_("At most 4096 addresses at once."))
        return network


@admin.register(PublicIp)
class PublicIpAdmin(admin.ModelAdmin):
    list_display = ["address", "in_use", "vpc", "note", "created"]
    list_filter = [("router", admin.EmptyFieldListFilter)]
    list_select_related = ["router__vpc"]
    search_fields = ["address", "note", "router__vpc__name"]
    change_list_template = "admin/network/publicip/change_list.html"

    @admin.display(description=_("in use"), boolean=True)
    def in_use(self, obj: PublicIp) -> bool:
        return hasattr(obj, "router")

    @admin.display(description=_("VPC"))
    def vpc(self, obj: PublicIp) -> str:
        return str(obj.router.vpc) if hasattr(obj, "router") else "—"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "add-range/",
                self.admin_site.admin_view(self.add_range),
                name="network_publicip_add_range",
            ),
            *super().get_urls(),
        ]

    def add_range(self, request: HttpRequest) -> HttpResponse:
        form = AddRangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            network = form.cleaned_data["cidr"]
            hosts = list(network.hosts()) or [network.network_address]
            created = PublicIp.objects.bulk_create(
                [PublicIp(address=str(h), note=form.cleaned_data["note"]) for h in hosts],
                ignore_conflicts=True,
            )
            messages.success(
                request, _("%(n)d addresses offered to the pool.") % {"n": len(created)}
            )
            return HttpResponseRedirect(reverse("admin:network_publicip_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Add a range")}
        return render(request, "admin/network/publicip/add_range.html", context)
