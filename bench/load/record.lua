-- wrk script: single-record ingest, POST /agent/performance. Every request is a distinct
-- execution (a unique execution_id from the thread, a counter and the start time), with
-- realistic fields drawn from 20 agents, 8 task types and 10,007 task texts.
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
end
local counter = 0
local run = 0
function init(args)
  run = os.time()
  math.randomseed(run + tid * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] then wrk.headers["Authorization"] = "Bearer " .. args[1] end
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"agent_id":"agent-%d","task_id":"task-%d","execution_time":%.3f,"success":%s,"task_type":"type-%d",' ..
    '"task_description":"Fix the failing test number %d in module %d of the billing service",' ..
    '"execution_id":"load-%d-%d-%d","context":{"priority":"p%d","repository":"org/repo-%d"},' ..
    '"metrics":{"cost_usd":%.5f,"tokens_in":%d,"tokens_out":%d}}',
    counter % 20, counter % 10007, math.random() * 300, (math.random() < 0.7) and "true" or "false",
    counter % 8, counter % 10007, counter % 97, run, tid, counter, counter % 3, counter % 12,
    math.random() * 0.5, math.random(100, 9000), math.random(50, 2000))
  return wrk.format(nil, "/agent/performance", nil, body)
end
function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("non-2xx responses: %d\n", non2xx))
end
