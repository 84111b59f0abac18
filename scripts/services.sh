#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1, starting them when they do not, and that
# the portal's database role exists. Idempotent. Prints nothing when all is already well.
set -euo pipefail

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  fi
  redis_up || { echo "services: Redis is not running on 127.0.0.1:6379 and cannot be started" >&2; exit 1; }
fi

if [ "${NEED_POSTGRES:-1}" = 1 ]; then
  if ! pg_up && [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    for _ in $(seq 50); do pg_up && break; sleep 0.2; done
  fi
  pg_up || { echo "services: PostgreSQL is not running on 127.0.0.1:5432 and cannot be started" >&2; exit 1; }
  # The portal's role (password auth over TCP works on a stock Debian cluster too). CREATEROLE:
  # the tests give each network node's agent a least-privilege role of its own.
  can() { PGPASSWORD=s2s psql -h 127.0.0.1 -U s2s -d postgres -tAc \
    "select rolcreaterole and rolcreatedb from pg_roles where rolname = current_user" 2>/dev/null; }
  if [ "$(can)" != t ]; then
    sql="CREATE ROLE s2s LOGIN CREATEDB CREATEROLE PASSWORD 's2s'"
    again="ALTER ROLE s2s LOGIN CREATEDB CREATEROLE PASSWORD 's2s'"
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
      runuser -u postgres -- psql -q -c "$sql" 2>/dev/null || runuser -u postgres -- psql -q -c "$again"
    else
      psql -h 127.0.0.1 -U postgres -d postgres -q -c "$sql" 2>/dev/null ||
        psql -h 127.0.0.1 -U postgres -d postgres -q -c "$again"
    fi
  fi
fi
