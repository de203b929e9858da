-- wrk script: recommend.lua at a capped rate (wrk has no -R; wrk2 is not installed).
--   wrk ... -s bench/load/recommend_paced.lua URL -- TEXTS.lua DELAY_MS
-- Every connection waits DELAY_MS (dithered to whole milliseconds, so fractions average out)
-- after each response before its next request: about connections x 1000 / (DELAY_MS + latency)
-- requests/s. wrk's latency figures exclude the wait. Compare runs at the same settings.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "recommend.lua")
local base_init = init
local pause = 0
function init(args)
  base_init(args)
  pause = tonumber(args[2] or "0")
  math.randomseed(1000 + tid)
end
function delay()
  return math.floor(pause + math.random())
end
