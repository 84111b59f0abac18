"""A lab router that cannot be built (not root) shows as unreachable, with the reason."""

import pytest

from network import routers
from network.choices import RouterState


@pytest.mark.django_db
def test_it_says_why_a_lab_router_is_unreachable_without_root(
    vpc, settings, monkeypatch, tmp_path
) -> None:
    settings.LAB_DIR, settings.LAB_PREFIX = tmp_path, "tnr"
    routers.lab.cache_clear()
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    router = vpc.router
    router.provider = "lab"
    router.save()
    try:
        routers.provision(router)
    finally:
        routers.lab.cache_clear()
    router.refresh_from_db()
    assert router.state == RouterState.UNREACHABLE
    assert (
        router.state_reason
        == "the lab needs root to create network namespaces (running as uid 1000)"
    )
