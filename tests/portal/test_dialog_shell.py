"""Every dialog of the portal is drawn by the one shell, components/_modal.html: as a modal for htmx
and as a page-dialog section without JavaScript, each keeping its own ids and accessible name."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SHELL = "components/_modal.html"
DIALOGS = sorted(
    str(path.relative_to(TEMPLATES))
    for path in TEMPLATES.rglob("*.html")
    if "{% partialdef dialog" in path.read_text()
)
# Enough for any dialog's body to render; each dialog's own ids come from its include.
CONTEXT = {"title": "A dialog", "cancel_url": "/back/", "action": "/do/", "vendors": {}}


def test_it_finds_the_dialogs() -> None:
    assert {"vpn/confirm.html", "vpn/connection_add.html"} <= set(DIALOGS)


@pytest.mark.parametrize("template", DIALOGS)
def test_it_draws_each_dialog_with_the_shell(template: str) -> None:
    assert f'{{% include "{SHELL}" ' in (TEMPLATES / template).read_text()


@pytest.mark.parametrize("template", DIALOGS)
@pytest.mark.parametrize("as_modal", [True, False])
@pytest.mark.django_db
def test_it_renders_each_dialog_once_in_the_shell(template: str, as_modal: bool) -> None:
    html = render_to_string(f"{template}#dialog", {**CONTEXT, "as_modal": as_modal})
    assert html.count("data-dialog-shell") == 1
    assert html.count('class="modal-header"') == 1
    assert ("<dialog" in html) == as_modal and ('role="dialog"' in html) != as_modal


def test_it_leaves_the_dialog_frame_to_the_shell_alone() -> None:
    framers = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "modal-header" in path.read_text() or "<dialog" in path.read_text()
    }
    assert framers == {SHELL}
