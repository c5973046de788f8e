-- Shared by the bench's wrk scripts: per-thread ids and a JSON summary line at the end.
-- Arguments (after `--`): <token or "-"> <run id> [<paths file>]

local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function bench_init(args)
  token = args[1]
  run_id = args[2]
  headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  if token and token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
  math.randomseed(os.time() * 1000 + tid)
  seq = 0
end

function response(status, hdrs, body)
  if status >= 300 then
    bad = (bad or 0) + 1
    if bad <= 3 then
      io.stderr:write("wrk: HTTP " .. status .. " " .. string.sub(body or "", 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
