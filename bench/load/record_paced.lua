-- wrk script: record.lua at a capped rate, the ingest running beside the analytics load.
--   wrk ... -s bench/load/record_paced.lua URL -- "" DELAY_MS
-- Every connection waits DELAY_MS (dithered to whole milliseconds) after each response.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "record.lua")
local base_init = init
local pause = 0
function init(args)
  if args[1] == "" then args[1] = nil end
  base_init(args)
  pause = tonumber(args[2] or "0")
end
function delay()
  return math.floor(pause + math.random())
end
