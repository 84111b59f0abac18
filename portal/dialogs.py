"""Dialogs (templates drawn by the one shell, templates/components/_modal.html): a modal fragment
when htmx asks, a page of their own otherwise, so that every dialog works without JavaScript."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect, reswap, trigger_client_event

from portal.types import TenantRequest

# The client event on which static/js/portal.js closes the dialog that sent the request.
DIALOG_DONE = "dialog-done"


def render_dialog(
    request: TenantRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """The dialog as a modal fragment (the template's "dialog" partial) for htmx, or as a page."""
    context = {**context, "as_modal": bool(request.htmx)}
    name = f"{template}#dialog" if context["as_modal"] else template
    return render(request, name, context, status=status)


def dialog_done(
    request: TenantRequest, url: str, *, events: Mapping[str, dict[str, Any]] | None = None
) -> HttpResponse:
    """After a successful dialog. Without JavaScript, a plain redirect to `url`, whose page shows
    the messages. With htmx and no `events`, a client redirect to `url` (the whole tab reloads).

    With htmx and `events` (client event name → detail), the page the dialog was opened from
    stays: the answer swaps the messages into its #messages region (out of band, nothing else),
    the page answers the events by refreshing what changed in place, and the dialog closes once
    the messages are in (closing returns focus to the control that opened it)."""
    if not request.htmx:
        return redirect(url)
    if events is None:
        return HttpResponseClientRedirect(url)
    response = reswap(render(request, "components/_messages.html", {"oob": True}), "none")
    for name, detail in events.items():
        trigger_client_event(response, name, detail)
    # After the swap: closing removes the dialog and its form, and htmx looks for the
    # out-of-band targets from the form that sent the request.
    return trigger_client_event(response, DIALOG_DONE, after="swap")
