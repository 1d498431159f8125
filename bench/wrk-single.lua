-- wrk -t1 -c64 -d10s -s bench/wrk-single.lua http://127.0.0.1:8080 : unique single-event POSTs (durable-throughput reference with a C client)
local threads = {}
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
counter = 0
request = function()
  counter = counter + 1
  local body = '{"topic":"load.topic-' .. (counter % 5) .. '","event_id":"w' .. tid .. '-' .. counter .. '","timestamp":"2026-01-01T00:00:00.000Z","source":"wrk","payload":{"n":' .. counter .. ',"amount":1234,"currency":"EUR","note":"load test event"}}'
  return wrk.format("POST", "/publish", {["Content-Type"]="application/json"}, body)
end
