-- wrk script: POSTs the seed 003 heartbeat body over 10,000 distinct execution ids.
local ids = {}
for i = 1, 10000 do
  ids[i] = string.format("%08x-0000-4000-8000-%012x", i, i)
end
local n = 0
local non200 = 0
local template = '{"execution_id":"%s","container_id":"crawler-container-abc123","status":"running",' ..
  '"progress":{"total_urls":100,"crawled_urls":45,"successful_urls":42,"failed_urls":3,' ..
  '"current_url":"https://example.com/page45","current_stage":"爬取中 (45/100)","data_items":1250,' ..
  '"percentage":45.0,"runtime_seconds":1800},"timestamp":1640995200}'
local headers = { ["Content-Type"] = "application/json" }
-- Optional ingest token (scripts/bench-security): as a bearer header, or as a /k/<token> path prefix.
local token = os.getenv("VIGIL_BENCH_TOKEN")
local path = "/api/v1/monitoring/heartbeat"
if token and os.getenv("VIGIL_BENCH_TOKEN_IN_PATH") == "1" then
  path = "/k/" .. token .. path
elseif token then
  headers["Authorization"] = "Bearer " .. token
end

request = function()
  n = n % 10000 + 1
  return wrk.format("POST", path, headers, string.format(template, ids[n]))
end

response = function(status, hdrs, body)
  if status ~= 200 then non200 = non200 + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non200=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    non200))
end
