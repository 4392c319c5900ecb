-- wrk script: registers executions with distinct ids (the same id form as heartbeat.lua), then
-- keeps refreshing them; `vigil-bench`'s sweep-under-load benchmark preloads a node with it.
local n = 0
local limit = tonumber(os.getenv("PRELOAD_COUNT") or "1000000")
local template = '{"execution_id":"%08x-0000-4000-8000-%012x","container_id":"crawler-%d","status":"running",' ..
  '"progress":{"total_urls":100,"crawled_urls":45,"percentage":45.0,"current_stage":"爬取中 (45/100)"},"timestamp":1640995200}'
local headers = { ["Content-Type"] = "application/json" }

request = function()
  n = n % limit + 1
  return wrk.format("POST", "/api/v1/monitoring/heartbeat", headers, string.format(template, n, n, n % 1000))
end
