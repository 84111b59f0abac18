#!/bin/sh
# Run charon, the router agent (Celery worker on ROUTER_QUEUE) and the VICI monitor; stop all
# three when any one exits or the container is stopped.
set -eu
: "${ROUTER_QUEUE:?set ROUTER_QUEUE to the router's queue, e.g. router-1}"
/usr/lib/ipsec/charon & CHARON=$!
celery -A portal worker -Q "$ROUTER_QUEUE" --concurrency 1 --hostname "$ROUTER_QUEUE@%h" & WORKER=$!
python manage.py vpn_monitor --queue "$ROUTER_QUEUE" & MONITOR=$!
trap 'kill -TERM $CHARON $WORKER $MONITOR 2>/dev/null' TERM INT
wait -n 2>/dev/null || wait
kill -TERM $CHARON $WORKER $MONITOR 2>/dev/null || true
wait
