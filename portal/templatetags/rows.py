"""Tags for what a list page draws on every row, each far cheaper than the template it
replaces: a state's badge (`{% badge %}`, not an `{% include %}`) and a URL by primary key
(`{% pk_url %}`, not a `{% url %}`: one reverse per URL name and page). Profiled on the VPN
Connection tab, those two made most of the template time of a page of 50 rows."""

from typing import cast

from django import template
from django.template.context import Context
from django.urls import reverse
from django.utils.safestring import SafeString

from portal.badges import Badge, Stateful, badge_of, render_badge

register = template.Library()

# A pk no row has, reversed once; each row's URL is the parts around it with the row's pk.
_MARK = 9_876_543_210
_PARTS = "portal.rows.pk_url"  # the render's reversed URLs, by name


@register.simple_tag
def badge(obj: Stateful) -> SafeString:
    """`{% badge c %}`: the badge of the object's state, followed by the line break that the
    include it replaced drew (the pages read as before)."""
    return SafeString(badge_of(obj) + "\n")


@register.simple_tag
def badge_for(state: str, label: str, style: Badge) -> SafeString:
    """`{% badge_for state label style %}`: the same for a state that is not a model's."""
    return SafeString(render_badge(state, label, style) + "\n")


@register.simple_tag(takes_context=True)
def pk_url(context: Context, viewname: str, pk: int) -> str:
    """`{% pk_url "vpn:connection-reset" c.pk %}`: what `{% url "vpn:connection-reset" c.pk %}`
    gives, for a URL whose only argument is a pk, with one reverse() per name and render."""
    # django-stubs types render_context's values as those Django keeps there itself.
    parts = cast(
        "dict[str, tuple[str, str]]",
        context.render_context.setdefault(_PARTS, {}),  # type: ignore[arg-type]
    )
    if viewname not in parts:
        head, tail = reverse(viewname, args=[_MARK]).split(str(_MARK))
        parts[viewname] = (head, tail)
    head, tail = parts[viewname]
    return f"{head}{int(pk)}{tail}"
