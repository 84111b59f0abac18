"""The per-row tags of long lists (portal/templatetags/rows.py) draw what the tags and
includes they replaced drew."""

import pytest
from django.template import Context, Template
from django.urls import set_script_prefix

from portal.badges import Badge
from vpn.choices import ConnectionState
from vpn.models import VpnConnection


def _render(source: str, **context: object) -> str:
    return Template("{% load rows %}" + source).render(Context(context))


@pytest.mark.parametrize("prefix", ["/", "/portal/"])
def test_it_gives_each_row_the_url_that_the_url_tag_gives(prefix: str) -> None:
    set_script_prefix(prefix)
    try:
        pks = [1, 42, 10_000, 9_876_543_209]
        ours = _render(
            "{% for pk in pks %}{% pk_url 'vpn:connection-reset' pk %} "
            "{% pk_url 'vpn:connection-detail' pk as detail %}{{ detail }};{% endfor %}",
            pks=pks,
        )
        theirs = _render(
            "{% for pk in pks %}{% url 'vpn:connection-reset' pk %} "
            "{% url 'vpn:connection-detail' pk %};{% endfor %}",
            pks=pks,
        )
    finally:
        set_script_prefix("/")
    assert ours == theirs and ours.startswith(f"{prefix}")


def test_it_draws_the_badge_escaped_with_the_include_s_line_break() -> None:
    body = _render(
        "{% badge_for state label style %}", state="x<", label="<b>", style=Badge("ok", "●")
    )
    assert body == (
        '<span class="status status-ok" data-state="x&lt;"><span class="status-dot" '
        'aria-hidden="true">●</span> &lt;b&gt;</span>\n'
    )


@pytest.mark.parametrize("state", ConnectionState.values)
def test_it_labels_a_model_s_badge_as_get_state_display_does(state: str) -> None:
    connection = VpnConnection(state=state)
    assert f"</span> {connection.get_state_display()}</span>" in _render(
        "{% badge c %}", c=connection
    )
