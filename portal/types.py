"""Types shared across the apps."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.models import Account


class TenantRequest(HttpRequest):
    """An HttpRequest as our middleware leaves it (django-htmx's documented typing pattern).

    Only for annotations: Django builds plain HttpRequests, and ``AccountMiddleware`` and
    django-htmx's ``HtmxMiddleware`` set these attributes on every request.
    """

    account: Account | None
    htmx: HtmxDetails
