-- wrk script: POST /task/recommend with task texts the server has not seen.
--   wrk ... -s bench/load/recommend.lua URL -- TEXTS.lua
-- TEXTS.lua (made at run time by gen_learning_data.py texts) returns a table of request bodies
-- (task_description, context, sometimes task_type); each thread walks it from its own offset,
-- so consecutive requests carry distinct texts. No candidates: all known agents are ranked.
-- recommend_paced.lua is this with a rate cap (DELAY_MS).
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
end
local bodies, n, i = nil, 0, 0
function init(args)
  assert(args[1], "usage: -- TEXTS.lua")
  bodies = dofile(args[1])
  n = #bodies
  i = (tid * 4801) % n
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  i = i % n + 1
  return wrk.format(nil, "/task/recommend", nil, bodies[i])
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
