# MikroTik RouterOS 7.x configuration for Site-to-Site VPN connection vpn-3
#
# Portal connection 3: VPC prod, customer gateway branch-office
#   this device:   203.0.113.20, networks 192.168.10.0/24
#   cloud gateway: 198.51.100.10, networks 10.1.0.0/16
#
# Fill in before loading:
#   - firewall and src-nat exemptions for the tunnel's traffic
# This file contains the pre-shared key: keep it private.
#
# MikroTik RouterOS 7.x. Import with `/import file-name=vpn-3.rsc` or paste into a
# terminal. Reference: RouterOS documentation, IPsec
# (help.mikrotik.com/docs/display/ROS/IPsec). Allow UDP 500/4500 from
# 198.51.100.10 on the input chain and exempt the tunnel's traffic from src-nat yourself.
#
/ip ipsec profile
add name=vpn-3 enc-algorithm=3des hash-algorithm=sha1 prf-algorithm=auto dh-group=modp1024 lifetime=1d nat-traversal=yes dpd-interval=disable-dpd
/ip ipsec peer
add name=vpn-3 address=198.51.100.10/32 local-address=203.0.113.20 profile=vpn-3 exchange-mode=main send-initial-contact=yes
/ip ipsec proposal
add name=vpn-3 enc-algorithms=aes-128-cbc auth-algorithms=sha1 pfs-group=none lifetime=1h
/ip ipsec identity
add peer=vpn-3 auth-method=pre-shared-key secret="Correct-Horse-Battery-42" my-id="address:203.0.113.20" remote-id="address:198.51.100.10" generate-policy=no
/ip ipsec policy
add peer=vpn-3 tunnel=yes src-address=192.168.10.0/24 dst-address=10.1.0.0/16 proposal=vpn-3 level=unique comment=vpn-3
