-- wrk script: rotate through person ids (one per line in ids.txt) asking for each person's plan.
-- Environment: BENCH_DIR (ids.txt and the token), BENCH_TOKEN_FILE.
local dir = os.getenv("BENCH_DIR") or "/tmp/plan-bench"
local token_file = os.getenv("BENCH_TOKEN_FILE") or (dir .. "/demo.paramedic.token")
local ids = {}
for line in io.lines(dir .. "/ids.txt") do
  if line ~= "" then ids[#ids + 1] = line end
end
local f = io.open(token_file, "r")
local token = f:read("*l")
f:close()
local i = 0
function setup(thread)
  thread:set("offset", math.random(1, #ids))
end
function request()
  i = i + 1
  local id = ids[((i + (offset or 0)) % #ids) + 1]
  return wrk.format("GET", "/api/v1/people/" .. id .. "/plan", { ["Authorization"] = "Bearer " .. token })
end
local non200 = 0
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors_status=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
