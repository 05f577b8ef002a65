#!/usr/bin/env bash
# Durable webhook ingest benchmark (issue 2, acceptance 5). Starts the release binary on a fresh
# database, then per run: (1) closed-loop maximum with wrk (acknowledged = 2xx only; each request a
# new signed ~2 KB Shopify delivery), (2) open-loop 5,000/s with `loadgen`, latency from the
# scheduled send time. Prints one JSON line per measurement; docs/benchmarks.md quotes medians.
#
#   bench/ingest.sh sqlite|postgres|ceiling  env: RUNS=3 SECONDS_PER_RUN=15 WORKERS=0 CONNECTIONS=64 RATE=5000
#
# BENCH_RANDOM_IDS=1 makes the wrk runs send random UUIDs as webhook ids, as Shopify does, instead of
# nearly sorted ones (see bench/shopify.lua; loadgen's rate runs keep sorted ids).
#
# `ceiling` is the same server built with the `bench-ceiling` feature and told to acknowledge
# without storing (BENCH_DISCARD_DELIVERIES=1): what verifying and answering cost alone.
#
# WORKERS=0 measures ingest alone (the acknowledgement path; processing runs in other processes
# or after the burst); WORKERS=2 processes deliveries in the same process while ingesting.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
runs="${RUNS:-3}"; secs="${SECONDS_PER_RUN:-15}"; workers="${WORKERS:-0}"
conns="${CONNECTIONS:-64}"; rate="${RATE:-5000}"
command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }

bin=target/release/hotdash; loadgen=target/release/examples/loadgen
if [ "$backend" = ceiling ]; then
  cargo build --release -q -p hotdash --bin hotdash --features bench-ceiling
  cp target/release/hotdash target/release/hotdash-ceiling
  bin=target/release/hotdash-ceiling
  export BENCH_DISCARD_DELIVERIES=1
fi
cargo build --release -q -p hotdash --bin hotdash --example loadgen
tmp="$(mktemp -d)"; trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
secret="bench-secret-$(date +%s%N)"
export BENCH_HMAC="$($loadgen --secret "$secret" --write-body "$tmp/body.json")"
export BENCH_BODY_FILE="$tmp/body.json"

if [ "$backend" = postgres ]; then
  eval "$(.ci/postgres.sh start)"
  admin="$HOTDASH_TEST_DATABASE_URL"
fi

echo "# $(nproc) cores, $(uname -r), backend=$backend workers=$workers body=$(wc -c < "$tmp/body.json")B" >&2
for run in $(seq 1 "$runs"); do
  for mode in wrk rate; do
    if [ "$backend" = postgres ]; then
      db="bench_$(date +%s%N)"
      psql -q "$admin" -c "CREATE DATABASE $db"
      url="${admin%/*}/$db"
    else
      url="sqlite://$tmp/run-$run-$mode.db?mode=rwc"
    fi
    HOTDASH_DATABASE__URL="$url" HOTDASH_SERVER__LISTEN=127.0.0.1:18080 HOTDASH_JOBS__WORKERS="$workers" \
      HOTDASH_WEBHOOKS__SHOPIFY__SECRETS="$secret" HOTDASH_LOG__FILTER=warn "$bin" serve 2>"$tmp/server.log" &
    server=$!
    for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/health >/dev/null && break; sleep 0.1; done
    if [ "$mode" = wrk ]; then
      BENCH_RUN_ID="r$run$(date +%s%N)" wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/shopify.lua http://127.0.0.1:18080 > "$tmp/wrk.txt"
      rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
      non2xx=$(awk '/Non-2xx/ {print $5}' "$tmp/wrk.txt"); non2xx=${non2xx:-0}
      total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
      p99=$(awk '$1=="99%" {print $2}' "$tmp/wrk.txt")
      acked=$(awk -v t="$total" -v n="$non2xx" -v s="$secs" 'BEGIN {printf "%.0f", (t-n)/s}')
      echo "{\"backend\":\"$backend\",\"run\":$run,\"mode\":\"wrk -c$conns\",\"requests_per_sec\":$rps,\"acked_per_sec\":$acked,\"non_2xx\":$non2xx,\"p99\":\"$p99\"}"
    else
      echo "{\"backend\":\"$backend\",\"run\":$run,$($loadgen --url http://127.0.0.1:18080 --secret "$secret" --rate "$rate" --seconds "$secs" | sed 's/^{//')"
    fi
    stored=$(curl -s http://127.0.0.1:18080/metrics | awk '/^hotdash_webhooks_accepted_total/ {s+=$2} END {print s+0}')
    echo "  (server counted $stored accepted)" >&2
    kill "$server"; wait "$server" 2>/dev/null || true
    if [ "$backend" = postgres ]; then psql -q "$admin" -c "DROP DATABASE $db WITH (FORCE)"; fi
  done
done
