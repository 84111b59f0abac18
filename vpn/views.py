"""Site-to-Site VPN pages: customer gateways, the VPN gateway, its connections, live status.

Dialogs are htmx fragments (a native <dialog>) when asked by htmx, and whole pages otherwise, so
every flow works without JavaScript.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from network.models import Vpc
from portal import audit
from portal.choices import AuditAction
from portal.dialogs import dialog_done, render_dialog
from portal.forms_util import add_action_errors
from portal.models import Account
from portal.tenancy import get_owned, scoped, tenant_account, tenant_view
from portal.types import TenantRequest
from vpn import actions, history, policies, presets, rules
from vpn.availability import (
    ALWAYS,
    Availability,
    Change,
    availability,
    chart,
    describe,
    describe_traffic,
)
from vpn.choices import ConnectionState, CryptoStatus, EventKind
from vpn.device_configs import DEVICES, About, Device, DeviceRefused, render_device_config
from vpn.forms import ConnectionForm, CustomerGatewayForm
from vpn.models import CustomerGateway, VpnConnection, VpnGateway
from vpn.models.policy import allow_legacy, crypto_rules
from vpn.specs import spec_for
from vpn.timeline import timeline_page
from vpn.traffic import traffic_buckets

CONNECTIONS_PER_PAGE = 50


def _connections(qs: QuerySet[VpnConnection]) -> QuerySet[VpnConnection]:
    rows = qs.select_related("customer_gateway", "gateway__vpc").order_by("id")
    return history.with_flapping(rows)


# Customer gateways -------------------------------------------------------------------------


@tenant_view
@require_GET
def customer_gateway_list(request: TenantRequest) -> HttpResponse:
    gateways = scoped(request, CustomerGateway).order_by("name", "id")
    page = Paginator(gateways, CONNECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    quota = actions.customer_gateway_quota(tenant_account(request))
    # The crypto policy read once for the page (CustomerGateway.policy_findings reads it from
    # the cache each time: a round trip a row, most of the page's time when it did).
    judged, legacy = crypto_rules(), allow_legacy()
    rows = [
        (cgw, policies.policy_findings(cgw.policy_values(), judged, allow_legacy=legacy))
        for cgw in page
    ]
    context = {"page": page, "rows": rows, "quota": quota}
    return render(request, "vpn/customer_gateway_list.html", context)


@tenant_view
@require_http_methods(["GET", "POST"])
def customer_gateway_create(request: TenantRequest) -> HttpResponse:
    return _customer_gateway_form(request, CustomerGateway())


@tenant_view
@require_http_methods(["GET", "POST"])
def customer_gateway_edit(request: TenantRequest, pk: int) -> HttpResponse:
    return _customer_gateway_form(request, get_owned(request, CustomerGateway, pk=pk))


def _customer_gateway_form(request: TenantRequest, instance: CustomerGateway) -> HttpResponse:
    """Add or edit. Besides saving, the form's own buttons re-display it unsaved: a preset
    (``preset=<key>``, also as a GET link) fills the policy fields, Generate (``generate_psk``)
    puts a new random key into the key field (htmx swaps just that field). Both keep what the
    tenant typed; without JavaScript they are plain submit buttons."""
    account = tenant_account(request)
    data = request.POST if request.method == "POST" else None
    preset = presets.BY_KEY.get(str((data or request.GET).get("preset", "")))
    if data is not None and "generate_psk" in data:
        return _generated_psk(request, instance, account, data)
    if preset is not None:
        form = CustomerGatewayForm.refilled(
            data, instance=instance, account=account, changes=preset.values
        )
        if preset not in form.presets:  # the crypto policy forbids a value of it
            raise Http404("No such preset.")
        messages.info(
            request, _("Preset applied: %(name)s. Save to keep it.") % {"name": preset.label}
        )
        return _render_customer_gateway_form(request, form, instance, account)
    form = CustomerGatewayForm(data, instance=instance, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.save_customer_gateway(
                form.save(commit=False), account=account, psk=form.cleaned_data["psk"]
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Customer gateway %(name)s saved.") % {"name": saved.name})
            return redirect("vpn:customer-gateway-list")
    return _render_customer_gateway_form(request, form, instance, account)


def _render_customer_gateway_form(
    request: TenantRequest,
    form: CustomerGatewayForm,
    instance: CustomerGateway,
    account: Account,
    *,
    generated_psk: str = "",
) -> HttpResponse:
    context = {
        "form": form,
        "cgw": instance if instance.pk else None,
        "proposals": form.proposals(),
        "quota": None if instance.pk else actions.customer_gateway_quota(account),
        "generated_psk": generated_psk,
        "deprecated": form.deprecated(),
    }
    status = 422 if form.errors else 200
    if request.htmx and generated_psk:
        return render(request, "vpn/customer_gateway_form.html#psk", context)
    return render(request, "vpn/customer_gateway_form.html", context, status=status)


def _generated_psk(
    request: TenantRequest, instance: CustomerGateway, account: Account, data: QueryDict
) -> HttpResponse:
    """The form (or, for htmx, its key field) with a new random key in the key field, shown
    once: it is stored only when the tenant saves, and never logged or cached."""
    psk = rules.generate_psk()
    form = CustomerGatewayForm.refilled(
        data, instance=instance, account=account, changes={"psk": psk}
    )
    form.reveal_psk()
    response = _render_customer_gateway_form(request, form, instance, account, generated_psk=psk)
    patch_cache_control(response, no_store=True, private=True)  # NoStoreMiddleware does too
    return response


@tenant_view
@require_GET
def proposal_preview(request: TenantRequest) -> HttpResponse:
    """The strongSwan proposal strings for the policy being chosen in the form (htmx)."""
    form = CustomerGatewayForm(instance=CustomerGateway(), account=tenant_account(request))
    instance = form.instance
    for field in policies.FIELD_KINDS:
        value = request.GET.get(field)
        # `fields` is typed dict[str, Field]; the policy fields are ChoiceFields.
        choices = {str(k) for k, _label in form.fields[field].choices}  # type: ignore[attr-defined]
        if value in choices:
            setattr(instance, field, value)
    if instance.esp_encryption in policies.AEAD:
        instance.esp_integrity = ""  # not used with GCM: nothing to warn about
    deprecated = [f for f in instance.policy_findings() if f.status == CryptoStatus.DEPRECATED]
    return render(
        request,
        "vpn/customer_gateway_form.html#proposals",
        {"proposals": form.proposals(), "deprecated": deprecated},
    )


@tenant_view
@require_http_methods(["GET", "POST"])
def customer_gateway_delete(request: TenantRequest, pk: int) -> HttpResponse:
    cgw = get_owned(request, CustomerGateway, pk=pk)
    if request.method == "POST":
        try:
            actions.delete_customer_gateway(cgw)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Customer gateway %(name)s deleted.") % {"name": cgw.name})
        return dialog_done(request, reverse("vpn:customer-gateway-list"))
    return render_dialog(
        request,
        "vpn/confirm.html",
        {
            "title": _("Delete customer gateway"),
            "question": _("Delete customer gateway %(name)s?") % {"name": cgw.name},
            "action": request.path,
            "cancel_url": reverse("vpn:customer-gateway-list"),
            "danger": True,
        },
    )


# The VPN gateway --------------------------------------------------------------------------


@tenant_view
@require_http_methods(["GET", "POST"])
def gateway_create(request: TenantRequest, vpc_pk: int) -> HttpResponse:
    """Site-to-Site VPN Lists: confirm, then create the VPC's VPN gateway (once)."""
    vpc = get_owned(request, Vpc.objects.select_related("router__source_nat_ip"), pk=vpc_pk)
    existing = VpnGateway.objects.filter(vpc=vpc).first()
    if existing is not None:
        return dialog_done(request, existing.get_absolute_url())
    if request.method == "POST":
        try:
            gateway, _created = actions.create_gateway(vpc)
        except ValidationError:  # the VPC was deleted meanwhile
            raise Http404 from None
        return dialog_done(request, gateway.get_absolute_url())
    return render_dialog(
        request,
        "vpn/confirm.html",
        {
            "title": _("Create VPN gateway"),
            "question": _("Please confirm to create S2S VPN gateway for this VPC."),
            "action": request.path,
            "cancel_url": reverse("network:vpc-configure", args=[vpc.pk]),
            "vpc": vpc,
        },
    )


@tenant_view
@require_GET
@vary_on_headers("HX-Request")
def gateway_detail(request: TenantRequest, pk: int) -> HttpResponse:
    gateway = get_owned(
        request, VpnGateway.objects.select_related("vpc__router__source_nat_ip"), pk=pk
    )
    tab = "connections" if request.GET.get("tab") == "connections" else "details"
    connections = _connections(scoped(request, gateway.connections.all()))
    page = Paginator(connections, CONNECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "gateway": gateway,
        "vpc": gateway.vpc,
        "tab": tab,
        "page": page,
        "connection_count": page.paginator.count,
        "poll_seconds": settings.PORTAL["STATUS_POLL_SECONDS"],
    }
    if request.htmx and request.GET.get("fragment") == "connections":
        return render(request, "vpn/gateway_detail.html#connections", context)
    if tab == "connections":  # next to the Add button (not in the polled fragment)
        context["quota"] = actions.connection_quota(tenant_account(request))
    return render(request, "vpn/gateway_detail.html", context)


@tenant_view
@require_http_methods(["GET", "POST"])
def gateway_delete(request: TenantRequest, pk: int) -> HttpResponse:
    gateway = get_owned(request, VpnGateway.objects.select_related("vpc"), pk=pk)
    configure = reverse("network:vpc-configure", args=[gateway.vpc_id])
    if request.method == "POST":
        try:
            actions.delete_gateway(gateway)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return dialog_done(request, gateway.get_absolute_url())
        messages.success(request, _("VPN gateway deleted."))
        return dialog_done(request, configure)
    return render_dialog(
        request,
        "vpn/confirm.html",
        {
            "title": _("Delete VPN gateway"),
            "question": _("Delete the VPN gateway %(ip)s of VPC %(vpc)s?")
            % {"ip": gateway.public_ip, "vpc": gateway.vpc.name},
            "action": request.path,
            "cancel_url": gateway.get_absolute_url(),
            "danger": True,
        },
    )


# Connections -------------------------------------------------------------------------------


@tenant_view
@require_http_methods(["GET", "POST"])
def connection_add(request: TenantRequest, pk: int) -> HttpResponse:
    gateway = get_owned(request, VpnGateway.objects.select_related("vpc__router"), pk=pk)
    available = (
        scoped(request, CustomerGateway).exclude(connections__gateway=gateway).order_by("name")
    )
    form = ConnectionForm(request.POST or None, queryset=available)
    tab_url = gateway.get_absolute_url() + "?tab=connections"
    if request.method == "POST" and form.is_valid():
        try:
            connection = actions.create_connection(
                gateway, form.cleaned_data["customer_gateway"], passive=form.cleaned_data["passive"]
            )
        except ValidationError as error:
            add_action_errors(
                form, error, {"cidr_list": "customer_gateway", "gateway_ip": "customer_gateway"}
            )
        else:
            messages.success(
                request,
                _("VPN connection to %(name)s added.") % {"name": connection.customer_gateway.name},
            )
            # The tab stays: its table shows the new row at once, and the stream turns it
            # Connected (no reload of the whole page and its scripts).
            pending = _shown_in_place(connection, ConnectionState.PENDING)
            return dialog_done(request, tab_url, events=pending)
    return render_dialog(
        request,
        "vpn/connection_add.html",
        {
            "form": form,
            "gateway": gateway,
            "action": request.path,
            "cancel_url": tab_url,
            "title": _("Add VPN connection"),
            "quota": actions.connection_quota(tenant_account(request)),
        },
        status=422 if form.errors else 200,
    )


def _shown_in_place(connection: VpnConnection, state: str) -> dict[str, dict[str, Any]]:
    """The client event with which the page that asked shows its own change at once, stream or
    no stream (static/js/live.js): the message vpn/live.py publishes, in the answer itself."""
    message = {"connection": connection.pk, "gateway": connection.gateway_id, "state": state}
    return {"live-message": message}


def _owned_connection(request: TenantRequest, pk: int) -> VpnConnection:
    return get_owned(
        request,
        VpnConnection.objects.select_related("customer_gateway", "gateway__vpc__router"),
        pk=pk,
    )


@tenant_view
@require_http_methods(["GET", "POST"])
def connection_reset(request: TenantRequest, pk: int) -> HttpResponse:
    connection = _owned_connection(request, pk)
    tab_url = connection.get_absolute_url()
    if request.method == "POST":
        actions.reset_connection(connection)
        messages.success(
            request,
            _("Resetting the connection to %(name)s.") % {"name": connection.customer_gateway.name},
        )
        return dialog_done(request, tab_url)
    return render_dialog(
        request,
        "vpn/confirm.html",
        {
            "title": _("Reset VPN connection"),
            "question": _(
                "Reset the VPN connection to %(name)s? "
                "The tunnel goes down and is negotiated again."
            )
            % {"name": connection.customer_gateway.name},
            "action": request.path,
            "cancel_url": tab_url,
        },
    )


@tenant_view
@require_http_methods(["GET", "POST"])
def connection_delete(request: TenantRequest, pk: int) -> HttpResponse:
    connection = _owned_connection(request, pk)
    tab_url = connection.get_absolute_url()
    if request.method == "POST":
        actions.delete_connection(connection)
        messages.success(
            request,
            _("VPN connection to %(name)s deleted.") % {"name": connection.customer_gateway.name},
        )
        return dialog_done(request, tab_url)
    return render_dialog(
        request,
        "vpn/confirm.html",
        {
            "title": _("Delete VPN connection"),
            "question": _("Delete the VPN connection to %(name)s? The tunnel is torn down.")
            % {"name": connection.customer_gateway.name},
            "action": request.path,
            "cancel_url": tab_url,
            "danger": True,
        },
    )


@tenant_view
@require_GET
def connection_list(request: TenantRequest) -> HttpResponse:
    connections = _connections(scoped(request, VpnConnection))
    page = Paginator(connections, CONNECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "vpn/connection_list.html", {"page": page})


@tenant_view
@require_GET
@vary_on_headers("HX-Request")
def connection_detail(request: TenantRequest, pk: int) -> HttpResponse:
    """One connection: its state and what was negotiated, availability and traffic charts
    (SVG with a text alternative) and its timeline, newest first (paged by keyset:
    vpn/timeline.py). htmx refreshes the `#connection-state` and `#connection-timeline`
    regions (`?fragment=state|timeline`)."""
    connection = get_owned(
        request,
        history.with_flapping(
            VpnConnection.objects.select_related("customer_gateway", "gateway__vpc")
        ),
        pk=pk,
    )
    timeline = timeline_page(connection.events.defer("detail"), request.GET)
    context = {"connection": connection, "timeline": timeline, **_charts(connection)}
    fragment = request.GET.get("fragment")
    if request.htmx and fragment in ("state", "timeline"):
        return render(request, f"vpn/connection_detail.html#{fragment}", context)
    return render(request, "vpn/connection_detail.html", context)


def _charts(connection: VpnConnection) -> dict[str, object]:
    """The 24-hour and 7-day availability bars and the 24-hour traffic chart: four queries
    whatever the length of the history (a week of state changes, the one before, the first
    Connected, and the day's traffic summed per bar of the chart: vpn/traffic.py)."""
    now = timezone.now()
    week, day = now - timedelta(days=7), now - timedelta(days=1)
    # A rekey leaves the state as it was: only the changes (and resets) draw the bars.
    states = connection.events.exclude(state="").exclude(kind=EventKind.REKEY).order_by("at")
    changes = [
        Change(*row) for row in states.filter(at__gte=week).values_list("at", "state", "reason")
    ]
    last = states.filter(at__lt=week).order_by("-at").values_list("at", "state", "reason").first()
    before_week = Change(*last) if last else None
    older_than_history = not changes and before_week is None
    if older_than_history:
        now_known = Change(connection.state_changed, connection.state, connection.state_reason)
        if now_known.at < week:
            before_week = now_known
        else:
            changes = [now_known]
    before_day = next((c for c in reversed(changes) if c.at < day), before_week)
    # Until it first came up the connection was being set up, not down (its Created and
    # Pending events are no outage).
    first_up = states.filter(state=ConnectionState.CONNECTED).values_list("at", flat=True).first()
    if first_up is None and (older_than_history or connection.state == ConnectionState.CONNECTED):
        first_up = ALWAYS  # up before its history began: every recorded state counts
    bars: list[tuple[str, Availability, str]] = []
    tz = timezone.get_current_timezone()
    for label, start, before, dated in (
        ("24 h", day, before_day, False),
        ("7 days", week, before_week, True),
    ):
        result = availability(changes, start=start, end=now, before=before, first_up=first_up)
        bars.append((label, result, describe(result, label, tz, dated=dated)))
    buckets = traffic_buckets(connection.pk, start=day, end=now)
    return {
        "bars": bars,
        "traffic": chart(buckets, tz),
        "traffic_text": describe_traffic(buckets, "24 h", tz),
    }


@tenant_view
@require_GET
def connection_configuration(request: TenantRequest, pk: int) -> HttpResponse:
    """The customer side of the connection as a device configuration file (PSK included).

    A dialog listing every device first (each a plain link); the file itself with
    ``?download=<device key>``. A device that cannot follow the connection's settings shows
    why in the dialog instead of a file. Only the owning account reaches either (404
    otherwise), and the file is never cached.
    """
    connection = _owned_connection(request, pk)
    if connection.customer_gateway.account_id != connection.gateway.vpc.account_id:
        # A row joining two accounts (the gate refuses one; this never trusts that): its file
        # would hand one tenant another's pre-shared key.
        raise Http404("No such connection.")
    spec = spec_for(connection)
    about = About.of(connection.gateway.vpc.name, connection.customer_gateway.name)
    files: dict[str, str] = {}
    refusals: dict[str, str] = {}
    for key in DEVICES:
        try:
            files[key] = render_device_config(spec, kind=key, about=about)
        except DeviceRefused as refusal:
            refusals[key] = str(refusal)
    kind = request.GET.get("download")
    if kind in files:
        response = HttpResponse(files[kind], content_type="text/plain; charset=utf-8")
        filename = f"vpn-{connection.pk}-{DEVICES[kind].suffix}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        patch_cache_control(response, no_store=True, private=True)
        audit.record(AuditAction.DOWNLOADED, connection, detail={"device": kind})
        return response
    vendors: dict[str, list[tuple[Device, str | None]]] = {}
    for key, device in DEVICES.items():
        vendors.setdefault(device.vendor, []).append((device, refusals.get(key)))
    refused = refusals.get(kind or "")
    response = render_dialog(
        request,
        "vpn/connection_configuration.html",
        {
            "connection": connection,
            "vendors": vendors,
            "refused": refused,
            "refused_device": DEVICES[kind].label if refused and kind else "",
            "title": _("Download configuration"),
            "cancel_url": connection.get_absolute_url(),
        },
        status=409 if refused else 200,
    )
    patch_cache_control(response, no_store=True, private=True)
    return response
