"""Side effects of the VPN app. A view validates a form and calls one of these; each runs in
one transaction and enqueues router work on commit. The PSK never leaves the database row."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import Router, Vpc
from portal.models import Account
from vpn import queues
from vpn.choices import ConnectionState
from vpn.models import CustomerGateway, VpnConnection, VpnGateway
from vpn.rules import connection_problems

log = logging.getLogger(__name__)


def _raise(problems: list[tuple[str | None, str]]) -> None:
    if problems:
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            errors.setdefault(field or "__all__", []).append(message)
        raise ValidationError(errors)


def create_gateway(vpc: Vpc) -> tuple[VpnGateway, bool]:
    """The VPC's VPN gateway on its router's Source NAT IP; concurrent calls yield one."""
    router = Router.objects.select_related("source_nat_ip").get(vpc=vpc)
    try:
        with transaction.atomic():
            gateway, created = VpnGateway.objects.get_or_create(
                vpc=vpc, defaults={"public_ip": router.public_ip}
            )
    except IntegrityError:  # lost a race the database settled: the other request made it
        gateway, created = VpnGateway.objects.get(vpc=vpc), False
    if created:
        log.info("vpn gateway created id=%s vpc=%s ip=%s", gateway.pk, vpc.pk, gateway.public_ip)
    return gateway, created


def delete_gateway(gateway: VpnGateway) -> None:
    with transaction.atomic():
        locked = VpnGateway.objects.select_for_update(of=("self",)).get(pk=gateway.pk)
        count = locked.connections.count()
        if count:
            raise ValidationError(
                _("The VPN gateway still has %(n)d connection(s); delete them first.")
                % {"n": count}
            )
        locked.delete()
    log.info("vpn gateway deleted id=%s vpc=%s", gateway.pk, gateway.vpc_id)


def save_customer_gateway(
    customer_gateway: CustomerGateway, *, account: Account, psk: str
) -> CustomerGateway:
    """Create or update a customer gateway; connections using it are re-applied."""
    with transaction.atomic():
        customer_gateway.account = account
        if psk:
            customer_gateway.set_psk(psk)
        connections = []
        if customer_gateway.pk:
            connections = list(
                VpnConnection.objects.select_for_update(of=("self",))
                .filter(customer_gateway_id=customer_gateway.pk)
                .select_related("gateway__vpc__router")
            )
            problems = []
            for connection in connections:
                problems += connection_problems(
                    connection.gateway,
                    customer_gateway,
                    cidrs=customer_gateway.cidrs,
                    gateway_ip=customer_gateway.gateway_ip,
                    exclude_connection=connection.pk,
                    counting=False,
                )
            _raise(problems)
        try:
            with transaction.atomic():
                customer_gateway.save()
        except IntegrityError:
            raise ValidationError(
                {"name": _("You already have a customer gateway with this name.")}
            ) from None
        for connection in connections:
            _mark(connection, ConnectionState.PENDING, _("Applying the changed customer gateway."))
        for router in {c.gateway.vpc.router.pk: c.gateway.vpc.router for c in connections}.values():
            queues.enqueue_reconcile(router)
    log.info(
        "customer gateway saved id=%s account=%s reapply=%d",
        customer_gateway.pk,
        account.pk,
        len(connections),
    )
    return customer_gateway


def delete_customer_gateway(customer_gateway: CustomerGateway) -> None:
    with transaction.atomic():
        in_use = customer_gateway.connections.select_related("gateway__vpc")
        if in_use.exists():
            vpcs = ", ".join(sorted({c.gateway.vpc.name for c in in_use}))
            raise ValidationError(
                _(
                    "Customer gateway %(name)s is used by VPN connections (VPC %(vpcs)s); delete "
                    "those connections first."
                )
                % {"name": customer_gateway.name, "vpcs": vpcs}
            )
        customer_gateway_id = customer_gateway.pk
        customer_gateway.delete()
    log.info("customer gateway deleted id=%s", customer_gateway_id)


def create_connection(
    gateway: VpnGateway, customer_gateway: CustomerGateway, *, passive: bool
) -> VpnConnection:
    with transaction.atomic():
        gateway = (
            VpnGateway.objects.select_for_update(of=("self",))
            .select_related("vpc__router")
            .get(pk=gateway.pk)
        )
        if VpnConnection.objects.filter(
            gateway=gateway, customer_gateway=customer_gateway
        ).exists():
            raise ValidationError(
                {"customer_gateway": _("This customer gateway is already connected here.")}
            )
        _raise(connection_problems(gateway, customer_gateway))
        connection = VpnConnection.objects.create(
            gateway=gateway,
            customer_gateway=customer_gateway,
            passive=passive,
            state=ConnectionState.PENDING,
            state_reason=_("Waiting for the router to apply it."),
        )
        queues.enqueue_push(gateway.vpc.router, connection.pk)
    log.info(
        "vpn connection created id=%s gateway=%s cgw=%s passive=%s",
        connection.pk,
        gateway.pk,
        customer_gateway.pk,
        passive,
    )
    return connection


def reset_connection(connection: VpnConnection) -> None:
    """Tear the tunnel down and bring it up again (terminate + initiate on the router)."""
    with transaction.atomic():
        _mark(connection, ConnectionState.PENDING, _("Reset requested."))
        queues.enqueue_reset(connection.gateway.vpc.router, connection.pk)
    log.info("vpn connection reset id=%s", connection.pk)


def delete_connection(connection: VpnConnection) -> None:
    """Remove the row; the router's reconcile then terminates and unloads what is not desired."""
    connection_id = connection.pk
    with transaction.atomic():
        router = connection.gateway.vpc.router
        connection.delete()
        queues.enqueue_reconcile(router)
    log.info("vpn connection deleted id=%s", connection_id)


def reapply(connections: list[VpnConnection]) -> int:
    """Operators' re-apply: forget what was pushed so the next reconcile loads it again."""
    routers = {}
    with transaction.atomic():
        for connection in connections:
            VpnConnection.objects.filter(pk=connection.pk).update(pushed_fingerprint="")
            routers[connection.gateway.vpc.router.pk] = connection.gateway.vpc.router
        for router in routers.values():
            queues.enqueue_reconcile(router)
    return len(connections)


def _mark(connection: VpnConnection, state: str, reason: str) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(
        state=state, state_reason=reason[:255], state_changed=timezone.now()
    )
