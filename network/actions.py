"""Side effects of the network app. Views and the admin site call these; each runs in one
transaction, passes the models' rules (``full_clean()``) and the quotas, and sends router work
on commit."""

import ipaddress
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from network import dispatch, scheduler
from network.models import NetworkNode, PublicIp, Router, Tier, Vpc
from portal import audit
from portal.choices import AuditAction
from portal.models import Account, Quota

log = logging.getLogger(__name__)


def vpc_quota(account: Account) -> Quota:
    return Quota(
        used=Vpc.objects.filter(account=account).count(),
        limit=account.limit("vpc_quota"),
        things=_("VPCs"),
    )


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
    """Create a VPC with its first tier and its router on a Source NAT IP from the pool, within
    the account's VPC quota (checked under a lock on the account's row, so two concurrent
    creates cannot both take the last place)."""
    with transaction.atomic():
        vpc_quota(Account.objects.select_for_update(no_key=True).get(pk=account.pk)).check()
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
        audit.record(AuditAction.CREATED, vpc, detail={"tier": tier.name})
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
        audit.record(AuditAction.CREATED, tier)
    log.info("tier created id=%s vpc=%s cidr=%s", tier.pk, vpc.pk, tier.cidr)
    return tier


def delete_tier(*, tier: Tier) -> None:
    with transaction.atomic():
        Vpc.objects.select_for_update().filter(pk=tier.vpc_id).exists()  # one change at a time
        if tier.vpc.tiers.count() <= 1:
            raise ValidationError(_("A VPC keeps at least one tier; delete the VPC instead."))
        vpc_id, router = tier.vpc_id, tier.vpc.router
        audit.record(AuditAction.DELETED, tier)
        tier.delete()
        dispatch.to_router(router, dispatch.BUILD_ROUTER, router.pk)
    log.info("tier deleted vpc=%s", vpc_id)


def add_public_ips(network: ipaddress.IPv4Network, *, note: str = "") -> int:
    """Offer every host address of `network` to the pool (the ones already there are kept);
    each must pass the model's rules. Returns how many were new."""
    hosts = list(network.hosts()) or [network.network_address]
    new = [PublicIp(address=str(host), note=note) for host in hosts]
    for address in new:
        address.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        known = set(
            PublicIp.objects.filter(address__in=[a.address for a in new]).values_list(
                "address", flat=True
            )
        )
        created = PublicIp.objects.bulk_create(
            [a for a in new if a.address not in known], ignore_conflicts=True
        )
        audit.record(
            AuditAction.CREATED,
            label=f"public IP range {network}",
            detail={"new_addresses": len(created)},
        )
    log.info("public ips offered network=%s new=%d", network, len(created))
    return len(created)


def delete_vpc(*, vpc: Vpc) -> None:
    """Delete a VPC, its tiers and router; refused while anything is attached to it. The VPC
    row is locked first, so a VPN gateway created at the same moment is seen (or waits)."""
    router = vpc.router if hasattr(vpc, "router") else None
    router_id = router.pk if router else None
    try:
        with transaction.atomic():
            locked = Vpc.objects.select_for_update().filter(pk=vpc.pk).first()
            if locked is None:
                raise ValidationError(_("This VPC no longer exists."))
            attached = _attached(locked)
            if attached:
                raise ValidationError(
                    _("VPC %(name)s still has %(what)s attached; remove it first.")
                    % {"name": vpc.name, "what": attached}
                )
            audit.record(AuditAction.DELETED, vpc)
            locked.delete()
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


def set_node_flags(nodes: list[NetworkNode], **flags: bool) -> int:
    """An operator drains, undrains, disables or enables nodes (``draining=``, ``enabled=``);
    the periodic node check moves routers off a disabled node. Returns how many changed."""
    with transaction.atomic():
        changed = NetworkNode.objects.filter(pk__in=[node.pk for node in nodes]).update(**flags)
        for node in nodes:
            audit.record(AuditAction.CHANGED, node, detail={"fields": sorted(flags), **flags})
    log.info("network nodes %s set %s", [node.pk for node in nodes], flags)
    return changed
