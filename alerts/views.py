"""The tenant's alert pages: the settings (with a test button and the webhook secret, shown
once when made or rotated) and the delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from alerts import actions
from alerts.forms import AlertSettingsForm
from alerts.models import Delivery
from portal.tenancy import scoped, tenant_account, tenant_view
from portal.types import TenantRequest

DELIVERIES_PER_PAGE = 25
RECENT_DELIVERIES = 5


def _settings_page(
    request: TenantRequest, form: AlertSettingsForm, *, secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "alert_settings": form.instance,
        "secret": secret,  # the plaintext, in this one response only
        "recent": scoped(request, Delivery).order_by("-created", "-id")[:RECENT_DELIVERIES],
    }
    return render(request, "alerts/settings.html", context, status=status)


@tenant_view
@require_http_methods(["GET", "POST"])
def alert_settings(request: TenantRequest) -> HttpResponse:
    account = tenant_account(request)
    instance = actions.settings_of(account)
    if request.method != "POST":
        return _settings_page(request, AlertSettingsForm(instance=instance))
    form = AlertSettingsForm(request.POST, instance=instance)
    if not form.is_valid():
        return _settings_page(request, form, status=422)
    secret = actions.save_settings(form.save(commit=False))
    messages.success(request, _("Alert settings saved."))
    if secret:
        return _settings_page(request, AlertSettingsForm(instance=form.instance), secret=secret)
    return redirect("alerts:settings")


@tenant_view
@require_POST
def rotate_secret(request: TenantRequest) -> HttpResponse:
    instance = actions.settings_of(tenant_account(request))
    if instance.pk is None or not instance.webhook_url:
        messages.error(request, _("Save a webhook URL first."))
        return redirect("alerts:settings")
    secret = actions.rotate_secret(instance)
    messages.success(request, _("New webhook secret made; the old one no longer signs."))
    return _settings_page(request, AlertSettingsForm(instance=instance), secret=secret)


@tenant_view
@require_POST
def send_test(request: TenantRequest) -> HttpResponse:
    instance = actions.settings_of(tenant_account(request))
    if instance.pk is None or not actions.send_test(instance):
        messages.error(request, _("Turn on email or the webhook (and save) to send a test."))
        return redirect("alerts:settings")
    messages.success(request, _("Test message queued: its delivery shows below in a moment."))
    return redirect("alerts:deliveries")


@tenant_view
@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
def deliveries(request: TenantRequest) -> HttpResponse:
    log = scoped(request, Delivery).order_by("-created", "-id")
    page = Paginator(log, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "deliveries": page.object_list}
    template = "alerts/deliveries.html#log" if request.htmx else "alerts/deliveries.html"
    return render(request, template, context)
