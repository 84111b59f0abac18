"""The remote networks of customer gateways, one row each: what makes the overlap rule an
indexed query on PostgreSQL.

``CustomerGateway.cidr_list`` stays the tenant's text (the forms, the API, the device files
and the agents read it); these rows follow it on every save (``CustomerGateway.save()`` and
``bulk_create()``). On PostgreSQL the column is ``cidr`` with a GiST index (``inet_ops``, made by
migration vpn 0008), so "which networks overlap 172.16.5.0/24" is ``network && '172.16.5.0/24'``
and reads a few index pages whatever the number of rows. SQLite, the demo's database, has no
such type: there the column is text, nothing queries it, and vpn/rules.py compares in Python.
The node agents never read these rows (they render ``cidr_list``): their roles get no grant.
"""

from typing import Any

from django.db import NotSupportedError, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from network import addressing


def indexed_networks(cidr_list: str) -> list[str]:
    """The networks of a stored CIDR list as rows keep them: in order, without duplicates,
    read as vpn/rules.py reads another gateway's list (``addressing.stored_networks``)."""
    return list(dict.fromkeys(str(n) for n in addressing.stored_networks(cidr_list)))


class NetworkField(models.Field):
    """An IP network: PostgreSQL's ``cidr`` (GiST-indexable, ``&&`` finds overlaps), text on
    other databases. Values are strings such as "172.16.5.0/24"."""

    description = _("IP network (CIDR)")

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "cidr" if connection.vendor == "postgresql" else "varchar(43)"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return None if value is None else str(value)

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else str(value)


@NetworkField.register_lookup
class Overlaps(Lookup):
    """``network__overlaps="10.0.0.0/8"``: the networks sharing an address with it (one contains
    the other, or they are equal), by PostgreSQL's ``&&`` (its GiST index serves it)."""

    lookup_name = "overlaps"

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> Any:
        raise NotSupportedError("network__overlaps needs PostgreSQL's cidr type")

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} && {rhs}::cidr", (*lhs_params, *rhs_params)


class CustomerGatewayNetwork(models.Model):
    """One remote network of a customer gateway (an item of its ``cidr_list``)."""

    tenant_path = "customer_gateway__account"

    customer_gateway = models.ForeignKey(
        "vpn.CustomerGateway",
        verbose_name=_("customer gateway"),
        on_delete=models.CASCADE,  # the gateway's own list, in rows
        related_name="networks",
        db_index=False,  # the unique constraint's index starts with it
    )
    network = NetworkField(
        verbose_name=_("network"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("customer gateway network")
        verbose_name_plural = _("customer gateway networks")
        constraints = [
            models.UniqueConstraint(
                fields=["customer_gateway", "network"],
                name="customergatewaynetwork_unique",
                violation_error_message=_("This network is already in the list."),
            ),
        ]

    def __str__(self) -> str:
        return self.network

    def get_absolute_url(self) -> str:
        return reverse("vpn:customer-gateway-edit", args=[self.customer_gateway_id])
