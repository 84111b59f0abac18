"""Row-level security of network nodes' database roles, for the migrations that set it up.

A node's agent connects as ``s2s_node_<name>`` (``manage.py network_node_role``). The SQL
fragments here say "the current role is a node" and "that node's own row"; ``postgresql_only``
runs a migration's statements where row-level security exists (not on the demo's SQLite).
"""

from collections.abc import Callable

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NODE_ROLE = "current_user LIKE 's2s\\_node\\_%'"
SELF = "'s2s_node_' || replace({table}name, '-', '_') = current_user"


def is_self(table: str = "") -> str:
    """`table`'s node row (with its alias and dot, e.g. "n.") is the current role's node."""
    return SELF.format(table=table)


def postgresql_only(forward: str, backward: str) -> migrations.RunPython:
    def run(sql: str) -> Callable[[StateApps, BaseDatabaseSchemaEditor], None]:
        def apply(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)  # no placeholders: LIKE's % stays

        return apply

    return migrations.RunPython(run(forward), run(backward))
