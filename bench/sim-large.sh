#!/usr/bin/env bash
# The simulated store at the large scale (1M orders): time and peak memory to generate it and
# stream its ground truth out (issue 3, acceptance 4: "the large scale streams in under 500 MB"),
# then to serve it (every simulator started, one GraphQL page of the newest orders read).
#
#   bench/sim-large.sh          env: RUNS=3 SCALE=large
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"; scale="${SCALE:-large}"
cargo build --release -q -p hotdash --bin hotdash
bin=target/release/hotdash
tmp="$(mktemp -d)"; trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
now=2026-11-01T00:00:00Z
echo "# $(nproc) cores, $(uname -r), scale=$scale" >&2
for run in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" sim --scale "$scale" --now "$now" --export-truth "$tmp/truth.jsonl"
  read -r secs kb < "$tmp/time"
  lines=$(wc -l < "$tmp/truth.jsonl"); bytes=$(stat -c %s "$tmp/truth.jsonl"); rm -f "$tmp/truth.jsonl"
  echo "{\"run\":$run,\"mode\":\"export\",\"scale\":\"$scale\",\"seconds\":$secs,\"peak_rss_mb\":$((kb / 1024)),\"lines\":$lines,\"bytes\":$bytes}"

  (cd "$tmp" && exec "$OLDPWD/$bin" sim --scale "$scale" --now "$now" --port 0 > "$tmp/sim.out") &
  server=$!
  started=$(date +%s.%N)
  for _ in $(seq 600); do grep -q '^Shopify' "$tmp/sim.out" 2>/dev/null && break; sleep 0.1; done
  ready=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
  url=$(awk '/^Shopify/ {print $4}' "$tmp/sim.out"); token=$(awk -F'Access-Token: ' '/^Shopify/ {sub(/\)$/, "", $2); print $2}' "$tmp/sim.out")
  curl -sf "$url" -H "X-Shopify-Access-Token: $token" -H 'Content-Type: application/json' \
    -d '{"query":"{ orders(first: 50, sortKey: UPDATED_AT, reverse: true) { nodes { id name updatedAt } } }"}' > "$tmp/page.json"
  hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$server/status")
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "{\"run\":$run,\"mode\":\"serve\",\"scale\":\"$scale\",\"ready_seconds\":$ready,\"peak_rss_mb\":$hwm,\"page_orders\":$(grep -o '"name"' "$tmp/page.json" | wc -l)}"
done
