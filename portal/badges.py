"""A state's badge, one look for pages and admin alike: the state's label, always shown, with a
tone (its colour) and an icon that only decorate. Each kind of state has one map from state to
Badge, next to its choices (vpn.choices.STATE_STYLE for connections, network.choices'
ROUTER_STATE_STYLE and VPC_STATE_STYLE); `render_badge` draws every badge, on pages through
the `{% badge %}` tag (portal/templatetags/rows.py), in the admin's columns through
StateBadgeAdmin.

It is drawn in Python, not by an included template: a list page draws one or two a row, and an
`{% include %}` a row cost a page of 50 rows more template time than all its other cells."""

import functools
from typing import NamedTuple, Protocol

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

# The badges' own styles, for pages (base.html) and the admin's pages (a ModelAdmin's Media).
CSS = "css/badges.css"


class Badge(NamedTuple):
    tone: str  # ok, warn, bad, info or idle: the css class status-<tone> in static/css/badges.css
    icon: str


def render_badge(state: str, label: str, style: Badge) -> SafeString:
    """The badge of `state` (its `label` shown, `style` its tone and icon), escaped."""
    return format_html(
        '<span class="status status-{}" data-state="{}">'
        '<span class="status-dot" aria-hidden="true">{}</span> {}</span>',
        style.tone,
        state,
        style.icon,
        label,
    )


class Stateful(Protocol):
    """A model with a state field and its one badge map (its state_style property)."""

    state: str

    def get_state_display(self) -> str: ...

    @property
    def state_style(self) -> Badge: ...


def badge_of(obj: Stateful) -> SafeString:
    """The badge of a model with a state: its label from the state field's choices, looked up
    in a map made once per model (get_state_display() rebuilds the choices as a dict on each
    call: on a list, two badges a row, that cost more than the badges themselves)."""
    labels = _state_labels(type(obj))
    label = labels.get(obj.state, obj.state) if labels else obj.get_state_display()
    return render_badge(obj.state, str(label), obj.state_style)


@functools.cache
def _state_labels(model: type) -> dict[str, object]:
    """A model's state labels by value ({} when its state is no field with choices)."""
    try:
        field = model._meta.get_field("state")  # type: ignore[attr-defined]
    except (AttributeError, FieldDoesNotExist):
        return {}
    return dict(field.flatchoices)


class StateBadgeAdmin:
    """For a ModelAdmin or an inline: the state column as the pages' badge (`state_badge`)."""

    class Media:
        css = {"all": [CSS]}

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj: Stateful) -> SafeString:
        return badge_of(obj)
