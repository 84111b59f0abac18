"""`manage.py network_node_role NAME`: the database role of one network node's agent.

Run by the database owner (the portal's own role; creating the role needs CREATEROLE, or give
`--sql` and hand the statements to a DBA). The role ``s2s_node_<name>`` may:
- read the rows the agent needs to build routers and render connections; of the customer
  gateways (which hold the encrypted pre-shared keys) only those of connections on routers
  placed on its own node (row-level security, migrations network 0004 and vpn 0003);
- register and heartbeat its own node row only, and write the observed state of its own
  routers and connections only (column privileges plus row-level security), and add to the
  history (events, traffic samples) of its own connections only.
It cannot read users, sessions or any other account data, nor change anything a tenant or an
operator set.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from psycopg import sql

READ = [
    "network_networknode",
    "network_router",
    "network_vpc",
    "network_tier",
    "network_publicip",
    "vpn_vpngateway",
    "vpn_customergateway",
    "vpn_vpnconnection",
    "vpn_connectionevent",
    "vpn_trafficsample",
]
# A connection's history (vpn 0007): rows of its own routers' connections only (row-level
# security), never an update or a delete (beat prunes, as the portal).
INSERT = ["network_networknode", "vpn_connectionevent", "vpn_trafficsample"]
UPDATE = {
    "network_networknode": [
        "last_heartbeat",
        "version",
        "capacity",
        "datapath",
        "running_routers",
        "last_error",
        "measurements",
    ],
    "network_router": ["state", "state_reason", "last_seen", "reconcile_count", "restarts"],
    "vpn_vpnconnection": [
        "state",
        "state_reason",
        "state_changed",
        "established_at",
        "bytes_in",
        "bytes_out",
        "packets_in",
        "packets_out",
        "negotiated",
        "ike_version",
        "nat_t",
        "local_ts",
        "remote_ts",
        "last_rekey",
        "operator_detail",
        "pushed_fingerprint",
    ],
}


def role_name(node: str) -> str:
    return "s2s_node_" + node.replace("-", "_")


def statements(role: str, password: str | None, database: str) -> list[sql.Composable]:
    ident = sql.Identifier(role)
    found: list[sql.Composable] = []
    if password is not None:
        found.append(
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
                "CREATE ROLE {role} LOGIN; END IF; END $$"
            ).format(name=sql.Literal(role), role=ident)
        )
        found.append(
            sql.SQL("ALTER ROLE {role} LOGIN PASSWORD {pw}").format(
                role=ident, pw=sql.Literal(password)
            )
        )
    found += [
        sql.SQL("GRANT CONNECT ON DATABASE {db} TO {role}").format(
            db=sql.Identifier(database), role=ident
        ),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {role}").format(role=ident),
        sql.SQL("GRANT SELECT ON {tables} TO {role}").format(
            tables=sql.SQL(", ").join(sql.Identifier(t) for t in READ), role=ident
        ),
        sql.SQL("GRANT INSERT ON {tables} TO {role}").format(
            tables=sql.SQL(", ").join(sql.Identifier(t) for t in INSERT), role=ident
        ),
    ]
    for table, columns in UPDATE.items():
        found.append(
            sql.SQL("GRANT UPDATE ({columns}) ON {table} TO {role}").format(
                columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                table=sql.Identifier(table),
                role=ident,
            )
        )
    return found


class Command(BaseCommand):
    help = "Create (or update) the least-privilege database role of a network node's agent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("node", help="The node's name (as given to network_agent --node).")
        parser.add_argument("--password", help="The role's password (default: a new random one).")
        parser.add_argument(
            "--sql", action="store_true", help="Print the statements instead of running them."
        )
        parser.add_argument(
            "--grants-only", action="store_true", help="The role exists: only grant."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("network nodes need PostgreSQL (their roles are database roles)")
        role = role_name(str(options["node"]))
        password = (
            None if options["grants_only"] else (options["password"] or secrets.token_urlsafe(24))
        )
        database = str(connection.settings_dict["NAME"])
        connection.ensure_connection()
        raw = connection.connection
        with connection.cursor() as cursor:
            for statement in statements(role, password, database):
                text = statement.as_string(raw)
                if options["sql"]:
                    self.stdout.write(text + ";")
                else:
                    cursor.execute(text)
        if not options["sql"]:
            settings = connection.settings_dict
            self.stdout.write(
                f"role {role} ready; the node's DATABASE_URL: postgres://{role}:"
                f"{'<its password>' if password is None or options['password'] else password}"
                f"@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{database}"
            )
