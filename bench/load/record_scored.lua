-- wrk script: single-record ingest, POST /agent/performance, as record.lua but with the 24
-- agents and 12 repositories of swebench-verified, so a model set trained on that data scores
-- every record with known agents (anomaly scoring at ingest). Every request is a distinct
-- execution (unique execution_id from the start time, the thread and a counter).
--   wrk ... -s bench/load/record_scored.lua URL [-- check]
-- With `check`, every response is read and done() prints how many carried a numeric
-- anomaly_score (costs wrk some CPU: use it for a short verification run, not the figures).
local agents = {
  "20250720_mini-v0.0.0-Llama-4-Maverick-17B-Instruct", "claude-4-opus-20250514", "claude-opus-4-5-20251101",
  "claude-sonnet-4-20250514", "deepseek-v3.2-reasoner", "devstral-2512", "devstral-small-2512", "gemini-2.5-pro",
  "gemini-3-pro-preview-20251118", "glm-4.5", "glm-4.6", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.1-2025-11-13",
  "gpt-5.1-codex", "gpt-oss-120b", "kimi-k2-instruct", "minimax-m2", "o3-2025-04-16", "o4-mini-2025-04-16",
  "qwen2-5-coder-32b-instruct", "qwen3-coder-480b-a35b-instruct", "sonnet-4-5-20250929"}
local repos = {"astropy/astropy", "django/django", "matplotlib/matplotlib", "mwaskom/seaborn", "pallets/flask",
  "psf/requests", "pydata/xarray", "pylint-dev/pylint", "pytest-dev/pytest", "scikit-learn/scikit-learn",
  "sphinx-doc/sphinx", "sympy/sympy"}
local difficulty = {"<15 min fix", "15 min - 1 hour", "1-4 hours", ">4 hours"}
local threads = {}
local tid_counter = 0
function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
  table.insert(threads, thread)
end
local counter, run = 0, 0
scored, answered = 0, 0
function init(args)
  run = os.time()
  math.randomseed(run + tid * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] ~= "check" then response = nil end
end
function request()
  counter = counter + 1
  local repo = repos[counter % #repos + 1]
  local body = string.format(
    '{"agent_id":"%s","task_id":"load-%d","execution_time":%d,"success":%s,"task_type":"%s",' ..
    '"task_description":"Fix the failing test number %d in module %d of %s",' ..
    '"execution_id":"scored-%d-%d-%d","context":{"repository":"%s","difficulty":"%s"},' ..
    '"metrics":{"cost_usd":%.5f,"api_calls":%d}}',
    agents[counter % #agents + 1], counter % 10007, math.floor(math.exp(math.random() * 4.5 + 1.5)),
    (math.random() < 0.6) and "true" or "false", repo, counter % 10007, counter % 97, repo, run, tid, counter,
    repo, difficulty[counter % #difficulty + 1], math.exp(math.random() * 4 - 4.5), math.random(5, 80))
  return wrk.format(nil, "/agent/performance", nil, body)
end
function response(status, headers, body)
  answered = answered + 1
  if body:find('"anomaly_score":%-?%d') then scored = scored + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
  local s, a = 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("scored") or 0)
    a = a + (t:get("answered") or 0)
  end
  if a > 0 then io.write(string.format("anomaly_score numeric: %d of %d responses\n", s, a)) end
end
