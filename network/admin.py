"""Operators' view of the cloud side. VPCs, tiers and the public IP pool are written through
network/actions.py, like the portal writes them (the models' rules, then the router hears of
it); a VPC itself is the tenant's to make and is read-only here but for deleting it."""

import ipaddress
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network import actions, scheduler
from network.models import NetworkNode, PublicIp, Router, Tier, Vpc
from portal.admin import ThroughActionsAdmin
from portal.badges import StateBadgeAdmin, badge_of


class TierInline(admin.TabularInline):
    """A VPC's tiers, read-only: tiers are added and deleted on their own admin page, through
    the actions that rebuild the router."""

    model = Tier
    fields = ("name", "cidr", "gateway", "created")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Vpc)
class VpcAdmin(StateBadgeAdmin, ThroughActionsAdmin):
    list_display = [
        "name",
        "account",
        "cidr",
        "state_badge",
        "source_nat_ip",
        "router_state",
        "tiers",
        "created",
    ]
    list_filter = ["state", "account", "router__state"]
    list_select_related = ["account", "router__source_nat_ip"]
    search_fields = ["name", "cidr", "account__name", "router__source_nat_ip__address"]
    inlines = [TierInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a tenant makes it, with its first tier and a router on a pool address

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # its account and CIDR are fixed; nothing else is an operator's to edit

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, Vpc)
        actions.delete_vpc(vpc=obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vpc]:
        return super().get_queryset(request).annotate(_tiers=Count("tiers"))

    @admin.display(description=_("Source NAT IP"), ordering="router__source_nat_ip__address")
    def source_nat_ip(self, obj: Vpc) -> str:
        return obj.router.public_ip if hasattr(obj, "router") else "—"

    @admin.display(description=_("router"), ordering="router__state")
    def router_state(self, obj: Vpc) -> str:
        return badge_of(obj.router) if hasattr(obj, "router") else "—"

    @admin.display(description=_("tiers"), ordering="_tiers")
    def tiers(self, obj: Vpc) -> int:
        return obj._tiers  # type: ignore[attr-defined]


@admin.register(Tier)
class TierAdmin(ThroughActionsAdmin):
    """Tiers are added and deleted through the actions (the router is rebuilt); a tier is not
    edited in place (delete it and add another)."""

    list_display = ["name", "vpc", "cidr", "gateway", "account", "created"]
    list_filter = ["vpc__account"]
    list_select_related = ["vpc__account"]
    search_fields = ["name", "cidr", "vpc__name", "vpc__account__name"]
    fields = ["vpc", "name", "cidr", "gateway"]
    autocomplete_fields = ["vpc"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_form(
        self, request: HttpRequest, obj: Tier | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        if "gateway" in form.base_fields:
            form.base_fields["gateway"].required = False  # the first host address when empty
        return form

    def save_model(
        self, request: HttpRequest, obj: Tier, form: forms.ModelForm, change: bool
    ) -> None:
        tier = actions.add_tier(vpc=obj.vpc, name=obj.name, cidr=obj.cidr, gateway=obj.gateway)
        obj.pk, obj.gateway, obj.created = tier.pk, tier.gateway, tier.created

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, Tier)
        actions.delete_tier(tier=obj)

    @admin.display(description=_("account"), ordering="vpc__account__name")
    def account(self, obj: Tier) -> str:
        return obj.vpc.account.name


class RouterActionForm(helpers.ActionForm):
    node = forms.ModelChoiceField(
        NetworkNode.objects.all(),
        required=False,
        label=_("to node"),
        empty_label=_("the least loaded other node"),
    )


ROUTER_FIELDS = [
    "vpc",
    "source_nat_ip",
    "node",
    "generation",
    "state_badge",
    "state_reason",
    "restarts",
    "last_seen",
    "reconcile_count",
]


@admin.register(Router)
class RouterAdmin(StateBadgeAdmin, admin.ModelAdmin):
    list_display = ["id", "account", *ROUTER_FIELDS[:-1]]
    list_filter = ["state", "node", "vpc__account"]
    list_select_related = ["vpc__account", "source_nat_ip", "node"]
    search_fields = ["vpc__name", "source_nat_ip__address", "node__name"]
    # Placement changes only through the actions (scheduler.move), never by editing a field.
    fields = tuple(ROUTER_FIELDS)
    readonly_fields = tuple(ROUTER_FIELDS)
    action_form = RouterActionForm
    actions = ["move_routers"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a router comes with its VPC

    @admin.display(description=_("account"), ordering="vpc__account__name")
    def account(self, obj: Router) -> str:
        return obj.vpc.account.name

    @admin.action(description=_("Move to another network node"), permissions=["change"])
    def move_routers(self, request: HttpRequest, queryset: QuerySet[Router]) -> None:
        target = RouterActionForm(request.POST).data.get("node") or None
        node = NetworkNode.objects.filter(pk=target).first() if target else None
        for router in queryset:
            chosen = node or scheduler.candidates(exclude=[router.node_id or 0]).first()
            if chosen is None:
                self.message_user(
                    request,
                    _("No other live network node can take router %(id)s.") % {"id": router.pk},
                    messages.ERROR,
                )
                continue
            scheduler.move(router, chosen)
            self.message_user(
                request,
                _("Router %(id)s is being moved to %(node)s.")
                % {"id": router.pk, "node": chosen.name},
            )


@admin.register(NetworkNode)
class NetworkNodeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "alive",
        "heartbeat_age",
        "router_count",
        "capacity",
        "enabled",
        "draining",
        "datapath",
        "version",
        "last_error",
    ]
    list_filter = ["enabled", "draining"]
    search_fields = ["name"]
    fields = [
        "name",
        "enabled",
        "draining",
        "capacity",
        "last_heartbeat",
        "version",
        "datapath",
        "running_routers",
        "last_error",
        "registered",
    ]
    readonly_fields = [
        "name",
        "capacity",
        "last_heartbeat",
        "version",
        "datapath",
        "running_routers",
        "last_error",
        "registered",
    ]
    actions = ["drain", "undrain", "disable", "enable", "evacuate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a node registers itself when its agent first starts

    def get_queryset(self, request: HttpRequest) -> QuerySet[NetworkNode]:
        return super().get_queryset(request).annotate(_routers=Count("routers"))

    @admin.display(description=_("alive"), boolean=True)
    def alive(self, obj: NetworkNode) -> bool:
        return obj.is_alive()

    @admin.display(description=_("heartbeat age"), ordering="-last_heartbeat")
    def heartbeat_age(self, obj: NetworkNode) -> str:
        if obj.last_heartbeat is None:
            return "—"
        return f"{(timezone.now() - obj.last_heartbeat).total_seconds():.0f} s"

    @admin.display(description=_("routers"), ordering="_routers")
    def router_count(self, obj: NetworkNode) -> int:
        return obj._routers  # type: ignore[attr-defined]

    @admin.action(description=_("Drain: place no new routers here"), permissions=["change"])
    def drain(self, request: HttpRequest, queryset: QuerySet[NetworkNode]) -> None:
        actions.set_node_flags(list(queryset), draining=True)

    @admin.action(description=_("Undrain: place new routers here again"), permissions=["change"])
    def undrain(self, request: HttpRequest, queryset: QuerySet[NetworkNode]) -> None:
        actions.set_node_flags(list(queryset), draining=False)

    @admin.action(
        description=_("Disable: move every router away and place none here"),
        permissions=["change"],
    )
    def disable(self, request: HttpRequest, queryset: QuerySet[NetworkNode]) -> None:
        actions.set_node_flags(list(queryset), enabled=False)
        self.message_user(request, _("Their routers move at the next node check."))

    @admin.action(description=_("Enable"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[NetworkNode]) -> None:
        actions.set_node_flags(list(queryset), enabled=True)

    @admin.action(
        description=_("Evacuate: move every router to other nodes"), permissions=["change"]
    )
    def evacuate(self, request: HttpRequest, queryset: QuerySet[NetworkNode]) -> None:
        moved = 0
        for node in queryset:
            for router in Router.objects.filter(node=node):
                target = scheduler.candidates(exclude=[node.pk]).first()
                if target is not None:
                    scheduler.move(router, target)
                    moved += 1
        self.message_user(request, _("%(n)d router(s) are being moved.") % {"n": moved})


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

    def get_readonly_fields(self, request: HttpRequest, obj: PublicIp | None = None) -> list[str]:
        # The model refuses to change an address a router uses; here none is edited in place.
        return ["address"] if obj is not None else []

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
        if not self.has_add_permission(request):
            raise PermissionDenied  # staff alone is not enough to grow the pool
        form = AddRangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                count = actions.add_public_ips(
                    form.cleaned_data["cidr"], note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                form.add_error("cidr", error.messages)
            else:
                messages.success(request, _("%(n)d addresses offered to the pool.") % {"n": count})
                return HttpResponseRedirect(reverse("admin:network_publicip_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Add a range")}
        return render(request, "admin/network/publicip/add_range.html", context)
