#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1:${HOTDASH_PG_PORT:-54329} and prints the
# admin URL for HOTDASH_TEST_DATABASE_URL. Installs Debian's postgresql package if it is missing.
# Usage: eval "$(.ci/postgres.sh start)"  …  .ci/postgres.sh stop
set -euo pipefail
port="${HOTDASH_PG_PORT:-54329}"
state="${HOTDASH_PG_DIR:-/tmp/hotdash-ci-pg}"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_pg() {
  # initdb and postgres refuse to run as root: use the package's system user then.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-start}" in
  start)
    if [ -z "$(pg_bin)" ]; then
      echo "installing postgresql from Debian's packages" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq --no-install-recommends postgresql >&2
    fi
    bin="$(pg_bin)"
    as_pg "$bin/pg_ctl -D '$state' stop -m immediate" >/dev/null 2>&1 || true
    rm -rf "$state"; mkdir -p "$state"
    [ "$(id -u)" = 0 ] && chown postgres: "$state"
    as_pg "$bin/initdb -D '$state' -A trust -U hotdash --no-sync" >/dev/null
    as_pg "$bin/pg_ctl -D '$state' -w -l '$state/server.log' \
      -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300' start" >&2
    echo "export HOTDASH_TEST_DATABASE_URL=postgres://hotdash@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin="$(pg_bin)"
    [ -n "$bin" ] && as_pg "$bin/pg_ctl -D '$state' stop -m fast" >&2 || true
    ;;
esac
