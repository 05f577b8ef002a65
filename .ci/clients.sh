#!/usr/bin/env bash
# Installs the vendors' official client libraries the simulator tests run against (acceptance:
# "official clients accept the simulators"), outside the Rust build:
#   - Google's Python `google-analytics-data` (pinned with hashes) into target/pyclients
#   - Shopify's Node `@shopify/shopify-api` (package-lock.json) into the test's node_modules
# Without them those tests print SKIPPED locally and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=crates/hotdash-sim/tests/clients

if ! command -v npm >/dev/null; then
  echo "installing Node.js and npm from Debian's packages" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq nodejs npm >/dev/null
fi
python3 -m venv target/pyclients
target/pyclients/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
  -r "$clients/python/requirements.txt"
npm ci --prefix "$clients/node" --no-audit --no-fund --loglevel=error
