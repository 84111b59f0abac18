"""The router provider: how a VPC router comes to exist.

``lab`` routers are network namespaces with their own charon on this host (``network.lab``); a
``manual`` router is one an operator registered in the admin site with its VICI endpoint, whose
agent (a Celery worker on its queue) runs beside it. Provisioning a lab router needs root.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from network.choices import RouterProvider, RouterState
from network.models import Router

if TYPE_CHECKING:
    from network.lab import Lab

log = logging.getLogger(__name__)


@cache
def lab() -> Lab:
    from network.lab import Lab

    return Lab(settings.LAB_DIR, prefix=settings.LAB_PREFIX)


def node_name(router_id: int) -> str:
    return f"r{router_id}"


def provision(router: Router) -> None:
    """Make the router's namespace and charon match its VPC (idempotent)."""
    if router.provider != RouterProvider.LAB:
        return
    from network.lab import LabUnavailable

    inside = [(tier.cidr, tier.gateway) for tier in router.vpc.tiers.all()]
    try:
        lab().up()
        uri = lab().add_router(node_name(router.pk), router.public_ip, inside)
    except LabUnavailable as error:
        Router.objects.filter(pk=router.pk).update(
            state=RouterState.UNREACHABLE, state_reason=str(error)[:255]
        )
        log.warning("router %s not provisioned: %s", router.pk, error)
        return
    Router.objects.filter(pk=router.pk).update(
        vici_uri=uri, state=RouterState.RUNNING, state_reason="", last_seen=timezone.now()
    )
    log.info("router %s provisioned uri=%s", router.pk, uri)


def deprovision(router_id: int) -> None:
    from network.lab import LabUnavailable

    try:
        lab().remove(node_name(router_id))
    except LabUnavailable as error:
        log.warning("router %s not removed: %s", router_id, error)
