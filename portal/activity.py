"""The tenant's activity page: the account's audit log, newest first, filtered by action and by
the kind of object, each event linking to its object while that still exists."""

from collections import defaultdict

from django.apps import apps
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from portal.choices import AuditAction
from portal.models import AuditEvent
from portal.tenancy import scoped, tenant_view
from portal.types import TenantRequest

EVENTS_PER_PAGE = 50


def object_types() -> dict[str, str]:
    """The tenant's kinds of objects an event can be about: model label -> its name."""
    return {
        model._meta.label_lower: str(model._meta.verbose_name)
        for model in apps.get_models()
        if getattr(model, "tenant_path", None) and model is not AuditEvent
    }


@tenant_view
@require_GET
def activity(request: TenantRequest) -> HttpResponse:
    types = object_types()
    action = request.GET.get("action", "")
    kind = request.GET.get("type", "")
    events = scoped(request, AuditEvent)
    if action in AuditAction.values:
        events = events.filter(action=action)
    if kind in types:
        events = events.filter(object_type=kind)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    links = _links(request, list(page))
    filters = {name: value for name, value in (("action", action), ("type", kind)) if value}
    context = {
        "page": page,
        "rows": [
            (event, types.get(event.object_type, ""), links.get(_key(event))) for event in page
        ],
        "actions": AuditAction.choices,
        "types": sorted(types.items(), key=lambda item: item[1]),
        "action_filter": action,
        "type_filter": kind,
        "query": urlencode(filters) + "&" if filters else "",
    }
    return render(request, "portal/activity.html", context)


def _key(event: AuditEvent) -> tuple[str, str]:
    return event.object_type, event.object_id


def _links(request: TenantRequest, events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """The page of each event's object that still exists in the account: one query per kind
    of object on the page (a handful, however many events), each through the tenancy door."""
    ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.object_type and event.object_id:
            ids[event.object_type].add(event.object_id)
    links: dict[tuple[str, str], str] = {}
    for label, pks in ids.items():
        try:
            model: type[Model] = apps.get_model(label)
        except (LookupError, ValueError):  # a kind of object that is gone from the code
            continue
        if not getattr(model, "tenant_path", None) or not hasattr(model, "get_absolute_url"):
            continue
        for obj in scoped(request, model).filter(pk__in=[pk for pk in pks if pk.isdigit()]):
            links[(label, str(obj.pk))] = obj.get_absolute_url()
    return links
