-- wrk script: batch ingest, POST /agent/performance/batch with 1,000 distinct records per
-- request (unique execution_ids), so records/s = requests/s x 1,000.
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
end
local counter = 0
local run = 0
local per_batch = 1000
function init(args)
  run = os.time()
  math.randomseed(run + tid * 104729)
  if args[1] then per_batch = tonumber(args[1]) end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  local parts = {}
  for i = 1, per_batch do
    counter = counter + 1
    parts[i] = string.format(
      '{"agent_id":"agent-%d","task_id":"task-%d","execution_time":%.3f,"success":%s,"task_type":"type-%d",' ..
      '"task_description":"Fix the failing test number %d in module %d","execution_id":"batch-%d-%d-%d",' ..
      '"context":{"priority":"p%d"},"metrics":{"cost_usd":%.5f,"tokens_in":%d}}',
      counter % 20, counter % 10007, math.random() * 300, (math.random() < 0.7) and "true" or "false",
      counter % 8, counter % 10007, counter % 97, run, tid, counter, counter % 3, math.random() * 0.5,
      math.random(100, 9000))
  end
  return wrk.format(nil, "/agent/performance/batch", nil, '{"records":[' .. table.concat(parts, ",") .. ']}')
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
