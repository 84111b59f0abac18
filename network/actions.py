"""Side effects of the network app. Views call these; each runs in one transaction."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from network import dispatch, scheduler
from network.models import PublicIp, Router, Tier, Vpc
from portal.models import Account

log = logging.getLogger(__name__)


class PoolExhausted(ValidationError):
    pass


def allocate_public_ip() -> PublicIp:
    """Take a free address from the pool; the caller's transaction holds it."""
    free = (
        PublicIp.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(router__isnull=True)
        .order_by("id")
        .first()
    )
    if free is None:
        raise PoolExhausted(
            _(
                "No public IP address is free for the VPC router. Ask your operator to add "
                "addresses to the public IP pool."
            )
        )
    return free


def create_vpc(
    *,
    account: Account,
    name: str,
    cidr: str,
    description: str = "",
    tier_name: str,
    tier_cidr: str,
    tier_gateway: str = "",
) -> Vpc:
    """Create a VPC with its first tier and its router on a Source NAT IP from the pool."""
    with transaction.atomic():
        vpc = Vpc(account=account, name=name, cidr=cidr, description=description)
        vpc.full_clean()
        try:
            with transaction.atomic():
                vpc.save()
        except IntegrityError:
            raise ValidationError({"name": _("You already have a VPC with this name.")}) from None
        tier = Tier(vpc=vpc, name=tier_name, cidr=tier_cidr, gateway=tier_gateway)
        tier.full_clean()
        tier.save()
        router = Router.objects.create(vpc=vpc, source_nat_ip=allocate_public_ip())
        scheduler.place(router)
    log.info(
        "vpc created id=%s account=%s router=%s snat=%s",
        vpc.pk,
        account.pk,
        router.pk,
        router.source_nat_ip.address,
    )
    return vpc


def add_tier(*, vpc: Vpc, name: str, cidr: str, gateway: str = "") -> Tier:
    with transaction.atomic():
        Vpc.objects.select_for_update().get(pk=vpc.pk)  # serialise overlap checks per VPC
        tier = Tier(vpc=vpc, name=name, cidr=cidr, gateway=gateway)
        tier.full_clean()
        tier.save()
        dispatch.to_router(vpc.router, dispatch.BUILD_ROUTER, vpc.router.pk)
    log.info("tier created id=%s vpc=%s cidr=%s", tier.pk, vpc.pk, tier.cidr)
    return tier


def delete_tier(*, tier: Tier) -> None:
    with transaction.atomic():
        if tier.vpc.tiers.count() <= 1:
            raise ValidationError(_("A VPC keeps at least one tier; delete the VPC instead."))
        vpc_id, router = tier.vpc_id, tier.vpc.router
        tier.delete()
        dispatch.to_router(router, dispatch.BUILD_ROUTER, router.pk)
    log.info("tier deleted vpc=%s", vpc_id)


def delete_vpc(*, vpc: Vpc) -> None:
    """Delete a VPC, its tiers and router; refused while anything is attached to it."""
    attached = _attached(vpc)
    if attached:
        raise ValidationError(
            _("VPC %(name)s still has %(what)s attached; remove it first.")
            % {"name": vpc.name, "what": attached}
        )
    router = vpc.router if hasattr(vpc, "router") else None
    router_id = router.pk if router else None
    try:
        with transaction.atomic():
            vpc.delete()
            if router is not None and router.node is not None:
                dispatch.to_node(router.node, dispatch.REMOVE_ROUTER, router.pk)
    except ProtectedError as error:
        names = sorted({str(obj._meta.verbose_name) for obj in error.protected_objects})
        raise ValidationError(
            _("VPC %(name)s still has %(what)s attached; remove it first.")
            % {"name": vpc.name, "what": ", ".join(names)}
        ) from None
    log.info("vpc deleted name=%s router=%s", vpc.name, router_id)


def _attached(vpc: Vpc) -> str:
    if hasattr(vpc, "vpn_gateway"):
        return _("a VPN gateway")
    return ""
