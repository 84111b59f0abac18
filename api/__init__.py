"""The REST API (/api/v1/): what a tenant does in the portal, for scripts and provisioning.

Every write goes through the same actions (vpn.actions, network.actions) and every read through
the same tenancy door (portal.tenancy) as the portal's pages; this package only shapes JSON.
"""
