-- wrk script: GET /agents/performance or GET /analytics/dashboard with varied filters.
--   wrk ... -s bench/load/analytics.lua URL -- PATH END_UNIX_SECONDS [DAYS]
-- Each request picks since/until at random (to the second, so the range ends are almost never
-- aligned to a bucket) inside the DAYS days ending at END, a width from an hour to the whole
-- span, and in one request of three a task type (type-00 .. type-11), in one of six an agent.
local path, last, days = "/agents/performance", 1767571200, 90
function init(args)
  path = args[1] or path
  last = tonumber(args[2] or last)
  days = tonumber(args[3] or days)
  -- ANALYTICS_SEED fixes the request sequence (to compare two builds on the same mix).
  math.randomseed((tonumber(os.getenv("ANALYTICS_SEED")) or os.time() * 1000) + (tid or 0))
end
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
end
function request()
  local span = days * 86400
  local width = math.floor(3600 * math.exp(math.random() * math.log(span / 3600)))
  local since = last - span + math.random(0, span - width)
  local q = string.format("%s?since=%d&until=%d", path, since, since + width)
  if math.random(3) == 1 then q = q .. string.format("&task_type=type-%02d", math.random(0, 11)) end
  if math.random(6) == 1 then q = q .. string.format("&agent_id=agent-%02d", math.random(0, 19)) end
  return wrk.format("GET", q)
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
