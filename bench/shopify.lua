-- wrk script for bench/ingest.sh: signed Shopify orders/create deliveries, each with its own
-- X-Shopify-Webhook-Id (so every request is a new delivery, not a duplicate). The body and its
-- HMAC come from `loadgen --write-body`, passed in BENCH_BODY_FILE and BENCH_HMAC.
--
-- Ids are `run-thread-counter`, nearly sorted, so the unique (source, delivery_id) index only
-- grows at its right edge. BENCH_RANDOM_IDS=1 sends random version-4 UUIDs instead, as Shopify
-- does, each landing on a random leaf of that index.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local hmac = os.getenv("BENCH_HMAC")
local run = os.getenv("BENCH_RUN_ID")
local random_ids = os.getenv("BENCH_RANDOM_IDS") == "1"
local counter = 0
local next_thread = 0

local function uuid4()
  local r = math.random
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
    r(0, 0xffffffff), r(0, 0xffff), r(0, 0xfff), 0x8000 + r(0, 0x3fff), r(0, 0xffff), r(0, 0xffffffff))
end

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

function init()
  math.randomseed(os.time() * 1000 + tid)
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
    ["X-Shopify-Webhook-Id"] = random_ids and uuid4() or (run .. "-" .. tid .. "-" .. counter),
  }, body)
end
