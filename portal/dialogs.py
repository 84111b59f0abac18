"""Dialogs (templates drawn by the one shell, templates/components/_modal.html): a modal fragment
when htmx asks, a page of their own otherwise, so that every dialog works without JavaScript."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from portal.types import TenantRequest


def render_dialog(
    request: TenantRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """The dialog as a modal fragment (the template's "dialog" partial) for htmx, or as a page."""
    context = {**context, "as_modal": bool(request.htmx)}
    name = f"{template}#dialog" if context["as_modal"] else template
    return render(request, name, context, status=status)


def dialog_done(request: TenantRequest, url: str) -> HttpResponse:
    """After a successful dialog: a client redirect for htmx, a plain redirect otherwise."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
