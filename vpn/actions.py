"""Side effects of the VPN app. A view (or the admin site) validates a form and calls one of
these; each runs in one transaction, passes the models' rules (``full_clean()``) and the quotas,
and enqueues router work on commit. The PSK never leaves the database row.

Locks, always taken in this order so that no two actions wait on each other: the account (a
quota), then VPN gateways by id (the rules across the connections of one gateway), then the
customer gateway.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import Router, Vpc
from portal import audit
from portal.choices import AuditAction
from portal.models import Account, Quota
from vpn import history, live, queues, rules
from vpn.choices import ConnectionState, EventKind
from vpn.models import CustomerGateway, VpnConnection, VpnGateway

log = logging.getLogger(__name__)


def customer_gateway_quota(account: Account) -> Quota:
    return Quota(
        used=CustomerGateway.objects.filter(account=account).count(),
        limit=account.limit("customer_gateway_quota"),
        things=_("customer gateways"),
    )


def connection_quota(account: Account) -> Quota:
    return Quota(
        used=VpnConnection.objects.filter(gateway__vpc__account=account).count(),
        limit=account.limit("connection_quota"),
        things=_("VPN connections"),
    )


def _lock_account(account_id: int) -> Account:
    """The account's row, locked until the transaction ends: quota checks of one account run
    one at a time, so two concurrent creates cannot both take the last place.

    FOR NO KEY UPDATE, not FOR UPDATE: a row inserted meanwhile that refers to the account (an
    audit event of any action, which may hold other locks already) takes only FOR KEY SHARE on
    it, which this lock lets through, so it cannot close a cycle with this one."""
    return Account.objects.select_for_update(no_key=True).get(pk=account_id)


def create_gateway(vpc: Vpc) -> tuple[VpnGateway, bool]:
    """The VPC's VPN gateway on its router's Source NAT IP; concurrent calls yield one. The
    VPC row is locked, so a VPC delete racing it either sees the gateway or happens first."""
    with transaction.atomic():
        if not Vpc.objects.select_for_update().filter(pk=vpc.pk).exists():
            raise ValidationError(_("This VPC no longer exists."))
        router = Router.objects.select_related("source_nat_ip").get(vpc=vpc)
        gateway, created = VpnGateway.objects.get_or_create(
            vpc=vpc, defaults={"public_ip": router.public_ip}
        )
        if created:
            audit.record(AuditAction.CREATED, gateway)
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
        audit.record(AuditAction.DELETED, locked)
        locked.delete()
    log.info("vpn gateway deleted id=%s vpc=%s", gateway.pk, gateway.vpc_id)


def save_customer_gateway(
    customer_gateway: CustomerGateway, *, account: Account, psk: str
) -> CustomerGateway:
    """Create (within the account's quota) or update a customer gateway; the connections using
    it are checked against their gateways' rules and re-applied."""
    with transaction.atomic():
        adding = customer_gateway.pk is None
        changed: list[str] = []
        if adding:
            customer_gateway_quota(_lock_account(account.pk)).check()
        customer_gateway.account = account
        if psk:
            try:
                rules.validate_psk(psk)
            except ValidationError as error:
                raise ValidationError({"psk": error.messages}) from None
            customer_gateway.set_psk(psk)
        elif adding:
            raise ValidationError({"psk": _("A new customer gateway needs a pre-shared key.")})
        connections: list[VpnConnection] = []
        if not adding:
            # The gateways it is connected to, in id order: an add to one of them waits for this
            # edit (and this edit for it), so the rules see both.
            list(
                VpnGateway.objects.select_for_update(of=("self",))
                .filter(connections__customer_gateway_id=customer_gateway.pk)
                .order_by("id")
            )
            stored_account = (
                CustomerGateway.objects.select_for_update()
                .values_list("account_id", flat=True)
                .get(pk=customer_gateway.pk)
            )
            if stored_account != account.pk:
                raise ValidationError({"account": _("A customer gateway stays in its account.")})
            changed = audit.changed_fields(
                CustomerGateway.objects.get(pk=customer_gateway.pk),
                customer_gateway,
                secret={"psk_encrypted", "psk_length"},
            )
            connections = list(
                VpnConnection.objects.filter(customer_gateway_id=customer_gateway.pk)
                .select_related("gateway__vpc__router")
                .order_by("id")
            )
        customer_gateway.full_clean()
        try:
            with transaction.atomic():
                customer_gateway.save()
        except IntegrityError:
            raise ValidationError(
                {"name": _("You already have a customer gateway with this name.")}
            ) from None
        if adding:
            audit.record(AuditAction.CREATED, customer_gateway)
        else:  # the names of what changed, never a value (the key least of all)
            audit.record(
                AuditAction.CHANGED,
                customer_gateway,
                detail={"fields": sorted({*changed, *(["psk"] if psk else [])})},
            )
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
        # Locked first, so that a connection being added to it is either seen here or refused.
        locked = CustomerGateway.objects.select_for_update().filter(pk=customer_gateway.pk)
        if not locked.exists():
            return  # already gone
        in_use = VpnConnection.objects.filter(customer_gateway_id=customer_gateway.pk)
        if in_use.exists():
            vpcs = ", ".join(
                sorted(set(in_use.values_list("gateway__vpc__name", flat=True).distinct()))
            )
            raise ValidationError(
                _(
                    "Customer gateway %(name)s is used by VPN connections (VPC %(vpcs)s); delete "
                    "those connections first."
                )
                % {"name": customer_gateway.name, "vpcs": vpcs}
            )
        customer_gateway_id = customer_gateway.pk
        audit.record(AuditAction.DELETED, customer_gateway)
        locked.delete()
    log.info("customer gateway deleted id=%s", customer_gateway_id)


def create_connection(
    gateway: VpnGateway, customer_gateway: CustomerGateway, *, passive: bool
) -> VpnConnection:
    """Connect the two (both ends of one account, within its quota and the rules of the
    gateway's other connections) and push the new connection to the router."""
    gone = ValidationError(_("This VPN gateway no longer exists."))
    with transaction.atomic():
        account_id = (
            Vpc.objects.values_list("account_id", flat=True).filter(vpn_gateway=gateway.pk).first()
        )
        if account_id is None:
            raise gone
        connection_quota(_lock_account(account_id)).check()
        locked = (
            VpnGateway.objects.select_for_update(of=("self",))
            .select_related("vpc__router")
            .filter(pk=gateway.pk)
            .first()
        )
        if locked is None:  # deleted while we waited for the lock
            raise gone
        gateway = locked
        try:  # as it is now (an edit may just have committed), and kept so until the end
            customer_gateway = CustomerGateway.objects.select_for_update().get(
                pk=customer_gateway.pk
            )
        except CustomerGateway.DoesNotExist:
            raise ValidationError(
                {"customer_gateway": _("This customer gateway no longer exists.")}
            ) from None
        if customer_gateway.account_id != account_id:  # clean() says so too; never rely on one
            raise ValidationError(
                {"customer_gateway": _("This customer gateway belongs to another account.")}
            )
        connection = VpnConnection(
            gateway=gateway,
            customer_gateway=customer_gateway,
            passive=passive,
            state=ConnectionState.PENDING,
            state_reason=_("Waiting for the router to apply it."),
        )
        connection.full_clean()
        connection.save()
        history.record_event(
            connection.pk,
            EventKind.CREATED,
            state=ConnectionState.PENDING,
            reason=connection.state_reason,
        )
        queues.enqueue_push(gateway.vpc.router, connection.pk)
        live.announce(connection, ConnectionState.PENDING)
        audit.record(AuditAction.CREATED, connection)
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
        live.announce(connection, ConnectionState.PENDING)
        audit.record(AuditAction.RESET, connection)
    log.info("vpn connection reset id=%s", connection.pk)


def delete_connection(connection: VpnConnection) -> None:
    """Remove the row; the router's reconcile then terminates and unloads what is not desired.
    The row is locked first: an agent writing its history at this moment (vpn.history.lock_alive)
    either finishes first, and its rows go with the connection, or finds it gone."""
    connection_id = connection.pk
    with transaction.atomic():
        if not VpnConnection.objects.select_for_update(of=("self",)).filter(pk=connection_id):
            log.info("vpn connection id=%s was already deleted", connection_id)
            return
        router = connection.gateway.vpc.router
        live.announce(connection, live.DELETED)
        audit.record(AuditAction.DELETED, connection)
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
            audit.record(AuditAction.REAPPLIED, connection)
        for router in routers.values():
            queues.enqueue_reconcile(router)
    return len(connections)


def _mark(connection: VpnConnection, state: str, reason: str) -> None:
    VpnConnection.objects.filter(pk=connection.pk).update(
        state=state, state_reason=reason[:255], state_changed=timezone.now()
    )
