"""Celery tasks of the network app: thin, ids only."""

import logging

from celery import shared_task

from network import routers
from network.models import Router

log = logging.getLogger(__name__)


@shared_task(name="network.provision_router")
def provision_router(router_id: int) -> None:
    router = Router.objects.select_related("vpc", "source_nat_ip").filter(pk=router_id).first()
    if router is None:
        log.info("provision_router: router %s is gone", router_id)
        return
    routers.provision(router)
    from vpn.queues import after_router_provisioned

    after_router_provisioned(router)


@shared_task(name="network.deprovision_router")
def deprovision_router(router_id: int) -> None:
    routers.deprovision(router_id)
