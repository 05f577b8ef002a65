-- wrk script for bench/ingest.sh: signed Shopify orders/create deliveries, each with its own
-- X-Shopify-Webhook-Id (so every request is a new delivery, not a duplicate). The body and its
-- HMAC come from `loadgen --write-body`, passed in BENCH_BODY_FILE and BENCH_HMAC.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local hmac = os.getenv("BENCH_HMAC")
local run = os.getenv("BENCH_RUN_ID")
local counter = 0
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/webhooks/shopify", {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "orders/create",
    ["X-Shopify-Hmac-Sha256"] = hmac,
    ["X-Shopify-Shop-Domain"] = "hot-rod-an.myshopify.com",
    ["X-Shopify-API-Version"] = "2026-07",
    ["X-Shopify-Triggered-At"] = "2026-11-22T14:00:00.000000000Z",
    ["X-Shopify-Webhook-Id"] = run .. "-" .. tid .. "-" .. counter,
  }, body)
end
