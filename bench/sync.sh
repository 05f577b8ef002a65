#!/usr/bin/env bash
# Sync benchmarks (issue 4, acceptance 5), the release binary against `hotdash sim`:
#
#   bench/sync.sh bulk     the orders back-fill of the bench store (~100k orders with line
#                          items) through a bulk operation into SQLite; seconds per run
#                          (target <= 20 s). The store is generated once, outside the timing.
#   bench/sync.sh paged    orders paged by updated_at without bulk on the Standard plan for
#                          SECONDS_PER_RUN; cost consumed per second vs the 100/s restore rate
#                          (target >= 90 %), read from the simulator's request statistics.
#
#   env: RUNS=3 SECONDS_PER_RUN=60 DATABASE_URL=(SQLite in a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-bulk}"; runs="${RUNS:-3}"; seconds="${SECONDS_PER_RUN:-60}"
cargo build --release -q -p hotdash --bin hotdash
bin="$PWD/target/release/hotdash"
tmp="$(mktemp -d)"; trap 'kill $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
echo "# $(nproc) cores, $(uname -r), mode=$mode" >&2

scale=bench; [ "$mode" = paged ] && scale=medium
(cd "$tmp" && exec "$bin" sim --scale "$scale" --now 2026-11-01T00:00:00Z --port 0 > "$tmp/sim.out") &
sim=$!
for _ in $(seq 1200); do grep -q '^Shopify' "$tmp/sim.out" 2>/dev/null && break; sleep 0.1; done
graphql=$(awk '/^Shopify/ {print $4}' "$tmp/sim.out")
base="${graphql%%/admin/*}"
token=$(awk -F'Access-Token: ' '/^Shopify/ {sub(/\)$/, "", $2); print $2}' "$tmp/sim.out")
orders=$(awk '/^Simulated/ {print $6}' "$tmp/sim.out")

run_sync() { # $1: database url; rest: hotdash sync arguments. Call in a subshell: it execs.
  local db="$1"; shift
  exec env -i PATH="$PATH" HOTDASH_DATABASE__URL="$db" HOTDASH_LOG__FILTER="${LOG_FILTER:-warn}" \
    HOTDASH_CONNECTORS__SHOP__TYPE=shopify \
    HOTDASH_CONNECTORS__SHOP__SHOP_DOMAIN=hot-rod-an.myshopify.com \
    HOTDASH_CONNECTORS__SHOP__ACCESS_TOKEN="$token" \
    HOTDASH_CONNECTORS__SHOP__API_BASE_URL="$base" \
    HOTDASH_CONNECTORS__SHOP__BULK_BACKFILL="$BULK" \
    "$bin" sync shop --stream orders "$@"
}

for run in $(seq 1 "$runs"); do
  db="${DATABASE_URL:-sqlite://$tmp/run$run.db?mode=rwc}"
  case "$mode" in
    bulk)
      started=$(date +%s.%N)
      (BULK=true run_sync "$db" --full) > "$tmp/out"
      secs=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
      echo "{\"run\":$run,\"mode\":\"bulk\",\"orders\":$orders,\"seconds\":$secs,\"summary\":\"$(tr -d '"' < "$tmp/out")\"}"
      ;;
    paged)
      curl -sf -X DELETE "$base/__sim/shopify/stats" > /dev/null
      BULK=false run_sync "$db" --full > "$tmp/out" 2>&1 &
      syncer=$!
      sleep "$seconds"
      kill -INT "$syncer"; wait "$syncer" 2>/dev/null || true
      curl -sf "$base/__sim/shopify/stats" > "$tmp/stats.json"
      python3 - "$run" "$tmp/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
rate = s["actual_cost"] / s["window_secs"] if s["window_secs"] else 0
print(json.dumps({"run": int(sys.argv[1]), "mode": "paged", "requests": s["graphql_requests"],
                  "actual_cost": s["actual_cost"], "requested_cost": s["requested_cost"],
                  "window_secs": round(s["window_secs"], 1), "cost_per_sec": round(rate, 1),
                  "share_of_restore_rate": round(rate / 100.0, 3), "throttled": s["throttled"]}))
PY
      ;;
    *) echo "usage: bench/sync.sh bulk|paged" >&2; exit 2 ;;
  esac
done
