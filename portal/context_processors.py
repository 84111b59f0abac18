"""Context shared by every console page: the navigation and the signed-in account."""

from django.http import HttpRequest

_SECTIONS = (
    ("vpn:customer-gateway", "cgw"),
    ("vpn:connection-list", "connections"),
    ("network:", "vpc"),
    ("vpn:", "vpc"),
)


def console(request: HttpRequest) -> dict[str, object]:
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    section = next((name for prefix, name in _SECTIONS if view_name.startswith(prefix)), "")
    return {"account": getattr(request, "account", None), "nav_section": section}
