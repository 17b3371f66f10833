-- wrk script: the first timeline page of each of the signed-in member's
-- patients in turn (issue 4 HTTP benchmark). PATIENTS and SESSION come from
-- the environment (bench/care.sh writes them).
local ids = {}
for id in string.gmatch(os.getenv("PATIENTS") or "", "%d+") do ids[#ids + 1] = id end
local cookie = "renkei_session=" .. (os.getenv("SESSION") or "")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/patients/" .. ids[(n % #ids) + 1], {["Cookie"] = cookie})
end
