-- wrk script: GET /tasks/similar, for bench/load/similar.sh.
--   wrk ... -s bench/load/similar.lua URL -- task N [K] [MIN_SIMILARITY]
--       task_id = synthetic-<r>, r uniform in [0, N): the tasks bench/similar_fill stored
--   wrk ... -s bench/load/similar.lua URL -- q TEXTS.lua [K] [MIN_SIMILARITY]
--       q = one of the URL-encoded texts TEXTS.lua returns (each thread walks them from its
--       own offset): every request embeds its text (Doc2Vec inference) before searching
-- K defaults to 10, MIN_SIMILARITY to 0.8 (the service's default threshold). A fifth
-- argument DELAY_MS paces it: every connection waits that long after each response (as
-- recommend_paced.lua does; wrk's latency figures exclude the wait).
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
end
local mode, n, texts, i, suffix
local pause = 0
function init(args)
  pause = tonumber(args[5] or "0")
  mode = args[1]
  assert(mode == "task" or mode == "q", "usage: -- task N [K] [MIN] | q TEXTS.lua [K] [MIN]")
  suffix = string.format("&k=%s&min_similarity=%s", args[3] or "10", args[4] or "0.8")
  math.randomseed(os.time() + tid * 7919)
  if mode == "task" then
    n = tonumber(args[2])
  else
    texts = dofile(args[2])
    n = #texts
    i = (tid * 211) % n
  end
end
function request()
  if mode == "task" then
    return wrk.format("GET", "/tasks/similar?task_id=synthetic-" .. math.random(0, n - 1) .. suffix)
  end
  i = i % n + 1
  return wrk.format("GET", "/tasks/similar?q=" .. texts[i] .. suffix)
end
function delay()
  return math.floor(pause + math.random())
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
