"""The schema passes drf-spectacular's own validation with no warning, and the docs page is
served from our own static files under our CSP."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

DOCS = "/api/docs/"


def test_it_validates_the_schema_without_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "openapi: 3" in out.read_text()


def test_it_documents_the_idempotency_key_on_every_post(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/api/schema/", {"format": "json"}).json()
    posts = [ops["post"] for path, ops in schema["paths"].items() if "post" in ops]
    assert posts
    for post in posts:
        assert "Idempotency-Key" in [p["name"] for p in post["parameters"] if p["in"] == "header"]
        assert {"409", "422"} <= set(post["responses"])


def test_it_serves_the_docs_from_our_own_static_files(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get(DOCS).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith(("/static/", DOCS)) for url in assets), assets
    for url in assets:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    assert "//" not in "".join(assets)  # no other host, with or without a scheme


def test_it_serves_the_docs_under_our_csp(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(DOCS)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"


def test_it_serves_the_docs_script_from_our_origin(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(DOCS, {"script": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
