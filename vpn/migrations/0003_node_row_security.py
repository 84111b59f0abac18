"""Row-level security for network nodes' own database roles (PostgreSQL only).

A node's role (``s2s_node_<name>``) reads only the customer gateways (and so only the encrypted
pre-shared keys) of connections on routers placed on its node, and updates only those
connections' observed state. Every other role is unaffected (the portal owns the tables and
bypasses these policies).
"""

from django.db import migrations

from network.rowsecurity import NODE_ROLE, is_self, postgresql_only

ON_MY_NODE = (
    "JOIN network_router r ON r.vpc_id = g.vpc_id "
    f"JOIN network_networknode n ON n.id = r.node_id WHERE {is_self('n.')}"
)

FORWARD = f"""
ALTER TABLE vpn_customergateway ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_all ON vpn_customergateway FOR ALL
    USING (NOT ({NODE_ROLE})) WITH CHECK (NOT ({NODE_ROLE}));
CREATE POLICY node_reads_its_own ON vpn_customergateway FOR SELECT USING (
    EXISTS (SELECT 1 FROM vpn_vpnconnection c JOIN vpn_vpngateway g ON g.id = c.gateway_id
            {ON_MY_NODE} AND c.customer_gateway_id = vpn_customergateway.id));

ALTER TABLE vpn_vpnconnection ENABLE ROW LEVEL SECURITY;
CREATE POLICY anyone_reads ON vpn_vpnconnection FOR SELECT USING (true);
CREATE POLICY portal_writes ON vpn_vpnconnection FOR ALL
    USING (NOT ({NODE_ROLE})) WITH CHECK (NOT ({NODE_ROLE}));
CREATE POLICY node_updates_its_own ON vpn_vpnconnection FOR UPDATE USING (
    EXISTS (SELECT 1 FROM vpn_vpngateway g {ON_MY_NODE} AND g.id = vpn_vpnconnection.gateway_id));
"""

BACKWARD = """
DROP POLICY IF EXISTS portal_all ON vpn_customergateway;
DROP POLICY IF EXISTS node_reads_its_own ON vpn_customergateway;
ALTER TABLE vpn_customergateway DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS anyone_reads ON vpn_vpnconnection;
DROP POLICY IF EXISTS portal_writes ON vpn_vpnconnection;
DROP POLICY IF EXISTS node_updates_its_own ON vpn_vpnconnection;
ALTER TABLE vpn_vpnconnection DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("vpn", "0002_dpd_delay_default_5"),
        ("network", "0004_node_row_security"),
    ]
    operations = [postgresql_only(FORWARD, BACKWARD)]
