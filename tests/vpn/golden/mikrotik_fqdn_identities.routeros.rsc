# MikroTik RouterOS 7.x configuration for Site-to-Site VPN connection vpn-21
#
# Portal connection 21: VPC prod, customer gateway branch-office
#   this device:   203.0.113.20, networks 192.168.10.0/24
#   cloud gateway: 198.51.100.10, networks 10.1.0.0/16
#
# Fill in before loading:
#   - firewall and src-nat exemptions for the tunnel's traffic
# This file contains the pre-shared key: keep it private.
#
# MikroTik RouterOS 7.x. Import with `/import file-name=vpn-21.rsc` or paste into a
# terminal. Reference: RouterOS documentation, IPsec
# (help.mikrotik.com/docs/display/ROS/IPsec). Allow UDP 500/4500 from
# 198.51.100.10 on the input chain and exempt the tunnel's traffic from src-nat yourself.
#
/ip ipsec profile
add name=vpn-21 enc-algorithm=aes-256 hash-algorithm=sha256 prf-algorithm=sha256 dh-group=modp2048 lifetime=1d nat-traversal=yes dpd-interval=10s dpd-maximum-failures=5
/ip ipsec peer
add name=vpn-21 address=198.51.100.10/32 local-address=203.0.113.20 profile=vpn-21 exchange-mode=ike2 send-initial-contact=yes
/ip ipsec proposal
add name=vpn-21 enc-algorithms=aes-256-cbc auth-algorithms=sha256 pfs-group=modp2048 lifetime=1h
/ip ipsec identity
add peer=vpn-21 auth-method=pre-shared-key secret="Correct-Horse-Battery-42" my-id="fqdn:branch.example.com" remote-id="fqdn:vpn.cloud.example" generate-policy=no
/ip ipsec policy
add peer=vpn-21 tunnel=yes src-address=192.168.10.0/24 dst-address=10.1.0.0/16 proposal=vpn-21 level=unique comment=vpn-21
