"""The portal's API token page: a tenant user lists the account's tokens, creates one (shown
once, on the answer to the POST, never again: only its digest is stored) and revokes one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from api import actions
from api.forms import ApiTokenForm
from api.models import ApiToken
from portal.dialogs import dialog_done, render_dialog
from portal.forms_util import add_action_errors
from portal.models import User
from portal.tenancy import get_owned, scoped, tenant_account, tenant_view
from portal.types import TenantRequest


@tenant_view
@require_http_methods(["GET", "POST"])
def token_list(request: TenantRequest) -> HttpResponse:
    account = tenant_account(request)
    form = ApiTokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            assert isinstance(request.user, User)
            try:
                created = actions.create_token(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_days=form.cleaned_data["expires_days"],
                )
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                form = ApiTokenForm()
        if created is None:
            status = 422
    quota = actions.token_quota(account)
    context = {
        "tokens": scoped(request, ApiToken).select_related("user").order_by("-created", "-id"),
        "form": form,
        "created": created[0] if created else None,
        # The plaintext, in this one response (never stored, never put in a message or session).
        "plaintext": created[1] if created else "",
        "quota": quota,
        "quota_message": actions.quota_message(quota),
    }
    return render(request, "api/token_list.html", context, status=status)


@tenant_view
@require_http_methods(["GET", "POST"])
def token_revoke(request: TenantRequest, pk: int) -> HttpResponse:
    token = get_owned(request, ApiToken, pk=pk)
    done = reverse("api-tokens:list")
    if request.method == "POST":
        if actions.revoke_token(token):
            messages.success(request, _("API token %(name)s revoked.") % {"name": token.name})
        return dialog_done(request, done)
    context = {
        "title": _("Revoke API token"),
        "question": _(
            "Revoke API token %(name)s (%(shown)s…)? Scripts using it stop working at once."
        )
        % {"name": token.name, "shown": token.shown},
        "action": request.path,
        "cancel_url": done,
        "danger": True,
    }
    return render_dialog(request, "vpn/confirm.html", context)
