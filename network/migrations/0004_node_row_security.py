"""Row-level security for network nodes' own database roles (PostgreSQL only).

A node's agent connects as role ``s2s_node_<name>`` (hyphens as underscores; see
``manage.py network_node_role``). Such a role may change only its own node's row and the rows of
the routers placed on it; every other role (the portal, which owns the tables and so bypasses
these policies anyway) is unaffected.
"""

from django.db import migrations

from network.rowsecurity import NODE_ROLE, is_self, postgresql_only

IS_SELF = is_self()
MY_NODE = f"node_id IN (SELECT id FROM network_networknode WHERE {is_self()})"

FORWARD = f"""
ALTER TABLE network_networknode ENABLE ROW LEVEL SECURITY;
CREATE POLICY anyone_reads ON network_networknode FOR SELECT USING (true);
CREATE POLICY portal_writes ON network_networknode FOR ALL
    USING (NOT ({NODE_ROLE})) WITH CHECK (NOT ({NODE_ROLE}));
CREATE POLICY node_registers_itself ON network_networknode FOR INSERT WITH CHECK ({IS_SELF});
CREATE POLICY node_updates_itself ON network_networknode FOR UPDATE
    USING ({IS_SELF}) WITH CHECK ({IS_SELF});

ALTER TABLE network_router ENABLE ROW LEVEL SECURITY;
CREATE POLICY anyone_reads ON network_router FOR SELECT USING (true);
CREATE POLICY portal_writes ON network_router FOR ALL
    USING (NOT ({NODE_ROLE})) WITH CHECK (NOT ({NODE_ROLE}));
CREATE POLICY node_updates_its_routers ON network_router FOR UPDATE
    USING ({MY_NODE}) WITH CHECK ({MY_NODE});
"""

BACKWARD = """
DROP POLICY IF EXISTS anyone_reads ON network_networknode;
DROP POLICY IF EXISTS portal_writes ON network_networknode;
DROP POLICY IF EXISTS node_registers_itself ON network_networknode;
DROP POLICY IF EXISTS node_updates_itself ON network_networknode;
ALTER TABLE network_networknode DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS anyone_reads ON network_router;
DROP POLICY IF EXISTS portal_writes ON network_router;
DROP POLICY IF EXISTS node_updates_its_routers ON network_router;
ALTER TABLE network_router DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [("network", "0003_network_nodes")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
