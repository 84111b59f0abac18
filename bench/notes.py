"""The text of docs/performance.md around the measured figures (filled in by bench/report.py)."""

DOCUMENT = """# Performance

*Written by `make bench` on {generated}; do not edit by hand, run it again.*

How fast and how far the portal goes, measured on one machine with real strongSwan charons in
network namespaces, two network nodes (each a real agent process with its own Celery worker on
its own queue, its VICI monitor, heartbeat and supervision), the portal's Celery worker and
beat running as in production, PostgreSQL and Redis. The anchors we set out to beat: Apache
CloudStack checks tunnel state by polling every 30 s, OpenStack Neutron VPNaaS every 60 s,
AWS's tooling waits up to 10 minutes for a VPN connection and detects a dead peer after 30 to
40 s, and strongSwan's own test lab clears a dead peer in 13 s.

Every figure is a median and a p95 (nearest rank) over the runs shown; a figure measured once
(a cold start at one size) shows that one run in both columns. "met" compares the figure with
the issue's target; where a target is missed, the section after the table says what limits it.

## Results

{table}

## Our incremental push against the full reload

ipsec.conf-based systems (and `swanctl --load-all` used the same way) keep every connection of a
router in one file and reload the whole configuration for each change. The portal pushes only
what changed over VICI. Same connections, same charon build, same machine, in the same run
(the baseline charon is a second router in the lab; "ours" is the time until the connection is
loaded in the router's charon, counted from the commit that created it):

{ratios}

What a tenant waits for is "one more connection": ours stays flat as N grows, the full reload
grows with N. A cold load (a router's charon starting empty) is also measured under the same
conditions for both: with both links down (each only loads), and with both sites live (each
loads and negotiates every tunnel). Ours loads over VICI as swanctl does, its loads pipelined on
one session; what still separates the two is in the next two sections. A cold load happens when
a router starts, not when a tenant clicks.

## Targets missed, and what limits them

{missed}
{errors}
## What limits each figure now

Measured with a profiler (py-spy on the running processes), the browser's own timings or the
phase rows, and the next step for each. Figures move from run to run; the rows above are this
run's.

- **Click to Connected in Chromium (1b)**: from OK, the POST's server time (its Resource Timing
  row; about 35 ms of it is the lab's own site load, section 1's phase, which production does
  not have), then the push, the negotiation with the site and the monitor's write (section 1's
  phases, about 20 ms each), then the stream message and one fragment GET (the "database write →
  row" row). What it was: each request under ASGI opened a new PostgreSQL connection (the POST
  took 240 ms in the browser; 59 ms with the pool). Next: a message naming its row, so that the
  page fetches that row alone instead of the table's page.
- **Load, 200 tenants (7)**: py-spy of the three uvicorn workers over the run: the request
  threads are about 40 % of the samples; of those, waiting on PostgreSQL about half, the session
  and user lookups (two queries a request) about a fifth, templates another fifth, the tab's
  pager COUNT less than a tenth; the rest is the event loop holding 200 streams. What it was: a
  new PostgreSQL connection per request (p95 678 ms, 615 HTTP 500s under stress; with the pool
  p95 about 60 ms and none). With no think time two cores saturate at about 130 requests a
  second, and requests queue for the pool (a request that waits more than
  `DATABASE_POOL_TIMEOUT` gets 503). Next: sessions in Redis (`cached_db`) to spare a query a
  request; the idle cost is all the pages' 30 s safety-net refresh.
- **Fleet (4b)**: build: the tenants' actions are made one after another by the benchmark (a
  phase row: about 0.2 s per tenant's VPC, gateway and 5 connections); each agent then builds
  its routers one at a time (namespace, links, charon start, first reconcile). Node loss: the
  heartbeat timeout (15 s), placing the routers (a phase row), then the survivor builds them one
  at a time. Next: build a node's routers a few at a time. An agent's idle CPU grows with its
  routers: every router's `list-sas` sweep runs every `PORTAL_SWEEP_SECONDS` (5 s) besides its
  event stream (20 sweeps a second at 100 routers). py-spy on one agent's process for 20 s of
  the idle window (100 routers, 50 samples a second, non-idle stacks only): about 15 % of a core,
  no single hot spot; most samples wait on charon's replies to list-sas and on PostgreSQL, the
  rest spread over the sweeps' work (the rows read, their keys decrypted, list-sas parsed); its
  Celery worker makes up the rest of the row. Next: sweep a router whose event stream is up
  less often.
  PostgreSQL connections per node stay at the pool's size (a row), whatever the routers.
- **Scale on one router (5)**: one more connection stays flat in N: the push is one load over
  VICI, and the add action asks a GiST index for the few customer gateways that may overlap
  instead of reading every connection. The cold load, timed step by step: from the message to
  the first load about 0.1 s (reading 1,000 rows about 40 ms, keys and fingerprints about 30 ms,
  planning about 10 ms); the loads are nearly all the rest. charon answers a session's commands
  in order (ours are pipelined, 64 in flight; two to four sessions were slower, charon serves
  them one at a time). charon formats and sends every log line to each listener of its log (a
  few a load, a dozen a negotiation: 1,000 loads took 0.85-0.99 s with no listener and
  1.58-1.72 s with one, measured on a bare charon), so while a router loads in bulk, and until
  the negotiations that follow pause, its monitor leaves charon's log and holds its writes
  (agent.loading; a failure in that window is explained at the connection's next try, 5 s
  later). With both sites live the loads share the two cores with both charons' negotiations
  (the site initiates too, so loading without starting and initiating after the loads was
  tried and gained nothing). The restart: from the kill to the first load about 0.7 s
  (supervision, charon's start, the monitor's reconnect, the reconcile's reads), then the reload
  and the negotiations of 1,020 tunnels, bound by CPU: from the kill to the last Connected the
  machine is about 90 % busy (/proc/stat), the router's charon spends about 2.5 s of CPU and the
  site's, standing in for 1,000 devices that production does not host, about 3.3 s (each
  restart's figures are in results.json, `scale_restart_cpu_n1000`). Stacks sampled with gdb
  during a restart (perf counts nothing on this VM) had half of the router charon's running
  threads in OpenSSL 3's check of each peer's DH public value, a full-length exponentiation
  (y^q mod p) inside `EVP_PKEY_derive_set_peer`. charon now computes the MODP groups with gmp,
  whose range check is the whole test for the safe-prime groups the portal offers, with
  exponents sized to the group's strength (`agent/driver/charon.py`): the router's charon
  3.6 → 2.5 s of CPU a restart, the site's 4.6 → 3.3 s, kill → all Connected 5.7 / 6.4 →
  4.6 / 4.9 s (median / p95, consecutive runs). The cold load's "all Connected" waited for a
  sweep for up to 5 s more: the monitor's write of a tunnel that came up lost to the
  reconcile's list-sas, taken while it negotiated (151 of 1,000 stayed Connecting or
  Disconnected for 3.4 s); the monitor's look now decides again from the row as it is
  (agent.record, `again_if_moved`), and all are Connected when the reconcile ends. The section
  runs with the node settings the README asks for: with the 2 MiB `net.core.rmem_default`
  neither namespace drops a UDP packet
  (about 200 IKE packets at the router in a restart with the 208 KiB default; counted in each
  restart's facts). Before these changes the figure spread from 7.9 to 11.1 s between runs,
  following how busy the two cores were. Next: the rest of the router's CPU per tunnel (about
  2.5 ms) is strongSwan's own negotiation and kernel-libipsec's userspace ESP (this kernel has
  no ESP). Devices on curve25519 need less again for the key exchange: last round, with MODP
  through openssl, they halved the reload (2.7 s against 5-6 s); not measured since the change.
- **Pages (6)**: met at 10,000 rows; the VPN Connection tab's pager counts every connection of
  the gateway (a COUNT joining them, the largest query at 10,000); next, a capped count.

## Defaults chosen for failure detection

- Customer gateways have dead peer detection on with a **DPD delay of 5 s** (the field's default).
- charon on every router (its strongswan.conf is written by the node agent's driver,
  `agent/driver/charon.py`, in production and in the lab alike) retransmits an unanswered
  request after 1, 2.5, 4.75 and 8.1 s and declares the peer dead at 13.2 s
  (`retransmit_timeout = 1.0`, `retransmit_base = 1.5`, `retransmit_tries = 4`). A peer that
  goes silent is therefore Disconnected between 13.2 s and 5 + 13.2 = 18.2 s after its last
  packet. The benchmark measures the 5 s default beside a 10 s delay, which a tenant may choose
  (up to 23.2 s).
- A peer that says goodbye (its charon stops cleanly and sends DELETE) is Disconnected as soon as
  the node's monitor hears charon's `ike-updown` event, without waiting for any timer.
- Each node's agent also sweeps its routers' `list-sas` every {sweep} s and reconciles every
  router every {resync} s, so a missed event costs at most one sweep.

## Network node timers in this run

A node heartbeats every {heartbeat} s; the portal's beat checks the nodes every {node_check} s
and fails the routers of a node over once its last heartbeat is {down_after} s old
(NETWORK_NODE_DOWN_AFTER). A node's agent looks for dead charons every 0.5 s. The benchmark
sets none of these: they are what `portal/settings.py` read (its production defaults unless the
environment said otherwise), except that the scale section runs the portal's worker with
automatic failover off (NETWORK_AUTO_FAILOVER=0), so that a late heartbeat can never move the
router being measured. Earlier runs, whose agents heartbeat from the loop that also swept their
routers, held a heartbeat back for 15 to 60 s at N=1,000; the agent now heartbeats from a thread
of its own, and the rows "the router's node: its oldest heartbeat meanwhile" show how close each
size came in this run.

## How each figure is taken

1. **Click to Connected**: a tenant's `POST` to the VPN Connection tab's Add (Django's test client
   through the whole stack, production settings) starts the clock; it stops when the status
   fragment the page polls (`?tab=connections&fragment=connections`, `HX-Request`) renders the
   connection as Connected. The router is on a network node: the push goes to that node's queue
   and its agent's worker loads the connection; its monitor records the SA coming up. The
   phases show where the time goes. The connection is then deleted through the portal and both
   charons checked clean before the next run.
1b. **Live pages**: Debian's Chromium (Playwright) against uvicorn serving `portal.asgi` as the
   image does, logged in as the tenant, on the gateway's VPN Connection tab. Twenty times: Add,
   pick the customer gateway, OK (the clock starts at the page's own click event: Playwright's
   delivery of the click, a row of its own, is not counted); the POST is split with the
   browser's Resource Timing (sent, answer begins, answer ends); a MutationObserver in the
   page stamps the moment the row first reads Connected, which the page learns from its event
   stream (the node's agent publishes the change it writes; the page refreshes its fragment).
   The same stamp against the row's `state_changed` (written by the agent with Connected) gives
   the time from the database to the screen. Then 50 pages (ten browser contexts of five:
   Chromium opens at most six connections to one HTTP/1.1 server per context) stay open on the
   tab for 60 s, and the requests the server's access log shows meanwhile are counted.
2. **Failure detection**: the customer site's charon is stopped cleanly (SIGTERM, it sends DELETE)
   at a random moment; or every site's link to the lab's internet is taken down (nothing arrives,
   nothing leaves), ten sites at a time, whose connections were added spread over a DPD period so
   their timers run in different phases. The clock stops when the connection's state in the
   database leaves Connected.
3. **Recovery**: the site's charon is started again and loads its downloaded configuration, or the
   link comes back; the clock stops at Connected in the database.
4. **Network nodes**: twenty VPCs of one tenant, each with one connection to a customer site of
   its own, placed by the scheduler on the two nodes (ten each). A connection counts as
   Connected again only when the database says so and its SAs are up on the charon of the node
   its router is on now. *Charon crash*: kill -9 of one router's charon; nobody acts but the
   node's agent (its supervision restarts charon, its monitor reconnects and asks for a
   reconcile). *Agent restart*: SIGKILL of a node agent's whole process group while its
   routers' charons run; the lab's supervisor starts it again (as a container's restart policy
   would); the clock stops when the new agent has heartbeaten and reconciled every router of its
   node, and no connection may change state meanwhile. *Node loss*: the node holding half of the
   routers is lost (its agent stops, every namespace and charon of it is gone); the clock stops
   when every one of its connections is Connected on the other node, and is also reported from
   the moment the heartbeat timeout expired. Then the lost node starts again and must remove
   what it no longer owns without disturbing anyone; an operator's move puts half of the
   routers back on it for the next round.
4b. **Network nodes, a fleet** (issue 14 target 7: 200 routers with 5 connections each;
   `BENCH_FLEET_ROUTERS` runs fewer): one tenant (an account) per router creates a VPC, its VPN
   gateway and 5 connections through the portal's actions, one after another; the scheduler
   places the routers on the two nodes (half each) and each node's agent builds them, every
   router a real charon in its own namespace. The customers are one lab site holding every
   customer gateway's public IP and inside network, loaded with the portal's download of every
   connection once all are created (one `swanctl --load-all`, a phase row). Build: the first VPC
   created → every connection Connected in the database and up (IKE and CHILD SA) on its
   router's charon. Idle cost: with everything up, the CPU (`/proc/<pid>/stat`, over 30 s) and
   memory (PSS from `/proc/<pid>/smaps_rollup`, and VmRSS) of every router's charon and of each
   node's agent with its Celery worker and their children (its charons apart). Node loss, three
   rounds: the node holding half of the routers is lost as in 4.; the clock stops when each of
   its connections is up on the other node; then it starts again and an operator moves every
   other router back. The agents run with `NODE_CAPACITY` = the fleet (a node must take every
   router of the other), and each node's database role is limited to 20 connections while the
   section runs: an agent follows each router in a thread of its own, and the threads borrow
   PostgreSQL connections from the agent's pool (`DATABASE_POOL_SIZE`, 8) for each event, so
   a node's peak (a row, read from `pg_stat_activity` every 0.5 s) does not grow with its
   routers. The node's kernel settings are raised as in 5.
5. **Scale on one router**: one customer site holds N public IPs (198.18.0.0/15, the RFC 2544
   benchmarking range) and one charon loaded with the portal's device configuration of every
   connection. For each N a fresh VPC (a fresh router charon on a network node) gets N
   connections to N distinct customer gateways; one reconcile message to its node loads them.
   Then one more connection is added ten times through the portal's action, the `list-sas`
   sweep is timed, and the router's charon is killed (the node's agent starts it again).
   The baseline loads the same configuration as one swanctl.conf with `swanctl --load-all` into
   a second charon (cold), and rewrites it with N + 1 connections for "one more". All network
   namespaces share the kernel's one neighbour (ARP) table, 1,024 entries by default, which a
   router talking to 1,005 customer addresses overflows, and one default socket receive buffer
   (208 KiB), which drops IKE packets when a restarted router gets a thousand answers at once.
   The section sets both as the README asks of a node (`bench/scale.py` NODE_SYSCTLS) while it
   runs and puts them back afterwards. Each restart also records where the CPU went (the
   router's and the site's charon, the whole machine) and the UDP packets the kernel dropped
   for a full receive buffer in either namespace (`/proc/net/snmp`).
6. **Pages**: N VPCs, N customer gateways and a VPN gateway with N connections per tenant, each
   page requested 30 times after 3 warm-up requests through Django's whole stack in the
   benchmark's process (sessions, tenancy, templates; no network); queries counted on one more.
   Lists show 50 rows a page.
7. **Load**: 200 tenants, each its own account, user (a session made by the benchmark, so no login
   is timed), VPC and VPN gateway with 3 connections and 3 customer gateways still free (rows
   written in bulk; their routers are on no network node, so an action's message to a router is
   not sent). The portal runs as the image runs it: uvicorn serving `portal.asgi` with 3 workers,
   production settings, on 127.0.0.1. Locust (headless, `bench/locustfile.py`) plays the
   tenants as the live page behaves: each opens the VPN Connection tab, holds one event stream
   on `/network/events/` for the whole run, refreshes the connections fragment (`HX-Request`)
   when a message for its gateway arrives or the answer to its own action names one, one
   refresh at a time, and every 30 s (the page's safety net). Once every page is open, each
   tenant acts once in the next 60 s at a random moment, and so on: opens the tab again, or adds
   a connection (the Add dialog, then OK), or resets one (the confirmation, then OK); an
   `HX-Redirect` answer loads that page and a `live-message` event in the answer refreshes the
   fragment, as the page does. Response times are every request made in those 60 s (the event
   streams themselves apart); errors are failed requests and streams lost.
   Then the pages stay open with nothing to do for a minute, and the server's CPU is read from
   `/proc/<pid>/stat` of uvicorn's processes (CPU seconds ÷ wall seconds, as a share of one
   core). A last, short run without think time (tab, fragment and reset back to back, every
   stream open) shows what this machine serves at most.

## Reproduce

As root, on Debian 12, after the README's set-up (`make setup`, which `make test` also runs):

```
make bench
```

It needs about {minutes} minutes here; it creates its own database (`s2s_bench`), Redis database
13 and lab (`/run/s2s-bench`: its sites, and two network nodes with the prefix `bench`), starts
the two node agents, the portal's worker and beat, and uvicorn as its children, and removes all
of it at the end. It raises the tenants' quotas and the per-user change limit (its tenants hold
up to 1,010 connections and change one every 1.5 s; `bench/env.py`), keeping their checks in
every request. It prints the table, and writes this file and `bench/results.json`
(every sample, the breakdowns and the machine). `python -m bench --only scale` (or `tunnels`,
`live`, `nodes`, `fleet`, `pages`, `load`) runs one section and writes
`bench/out/results-partial.json` instead, or with `--merge` puts its rows into this file in
place of that section's (the sentence after the section times says which were measured later);
the child processes' logs are in `bench/out/`. Section times of this run: {sections}.

## Machine

- CPU: {cpu}, {cores} cores; {memory} GiB memory
- {os}, Linux {kernel}; Python {python}
- {postgresql}; {redis}; strongSwan {strongswan} (kernel-libipsec: userspace ESP)
"""
