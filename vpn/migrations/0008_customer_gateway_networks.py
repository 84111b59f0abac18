"""Customer gateways' remote networks as rows (vpn/models/networks.py), for the overlap rule's
index, and an index of their IPs (the rule of one IP per VPN gateway).

On PostgreSQL the network column is ``cidr`` with a GiST index (``inet_ops``: ``&&`` finds the
overlapping ones); on SQLite it is text without one (nothing queries it there). The rows of the
existing customer gateways are written here. The node agents' roles get no grant on the table:
they read ``cidr_list``.
"""

import django.db.models.deletion
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

import vpn.models.networks
from network.rowsecurity import postgresql_only
from vpn.models.networks import indexed_networks

GIST = "CREATE INDEX customergatewaynetwork_network ON vpn_customergatewaynetwork USING gist (network inet_ops)"
NO_GIST = "DROP INDEX IF EXISTS customergatewaynetwork_network"


def write_networks(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    CustomerGateway = apps.get_model("vpn", "CustomerGateway")
    CustomerGatewayNetwork = apps.get_model("vpn", "CustomerGatewayNetwork")
    rows = CustomerGateway.objects.values_list("pk", "cidr_list").iterator(chunk_size=2000)
    CustomerGatewayNetwork.objects.bulk_create(
        (
            CustomerGatewayNetwork(customer_gateway_id=pk, network=network)
            for pk, cidr_list in rows
            for network in indexed_networks(cidr_list)
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("vpn", "0007_connection_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerGatewayNetwork",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "customer_gateway",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="networks",
                        to="vpn.customergateway",
                        verbose_name="customer gateway",
                    ),
                ),
                ("network", vpn.models.networks.NetworkField(verbose_name="network")),
            ],
            options={
                "verbose_name": "customer gateway network",
                "verbose_name_plural": "customer gateway networks",
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("customer_gateway", "network"),
                        name="customergatewaynetwork_unique",
                        violation_error_message="This network is already in the list.",
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="customergateway",
            index=models.Index(fields=["gateway_ip"], name="customergateway_gateway_ip"),
        ),
        migrations.RunPython(write_networks, migrations.RunPython.noop),
        postgresql_only(GIST, NO_GIST),
    ]
