"""A state's badge, one look for pages and admin alike: the state's label, always shown, with a
tone (its colour) and an icon that only decorate. Each kind of state has one map from state to
Badge, next to its choices (vpn.choices.STATE_STYLE for connections, network.choices'
ROUTER_STATE_STYLE and VPC_STATE_STYLE); templates/components/_status.html draws every badge."""

from typing import NamedTuple, Protocol

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

TEMPLATE = "components/_status.html"
# The badges' own styles, for pages (base.html) and the admin's pages (a ModelAdmin's Media).
CSS = "css/badges.css"


class Badge(NamedTuple):
    tone: str  # ok, warn, bad, info or idle: the css class status-<tone> in static/css/badges.css
    icon: str


def render_badge(state: str, label: str, style: Badge) -> SafeString:
    """The badge for the admin's columns, drawn by the same template as the pages'."""
    context = {"state": state, "state_label": label, "state_style": style}
    return SafeString(render_to_string(TEMPLATE, context).strip())


class Stateful(Protocol):
    """A model with a state field and its one badge map (its state_style property)."""

    state: str

    def get_state_display(self) -> str: ...

    @property
    def state_style(self) -> Badge: ...


def badge_of(obj: Stateful) -> SafeString:
    return render_badge(obj.state, obj.get_state_display(), obj.state_style)


class StateBadgeAdmin:
    """For a ModelAdmin or an inline: the state column as the pages' badge (`state_badge`)."""

    class Media:
        css = {"all": [CSS]}

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj: Stateful) -> SafeString:
        return badge_of(obj)
