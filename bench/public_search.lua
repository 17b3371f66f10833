-- wrk script: public directory searches of the four query shapes, rotating
-- over words, services and points (issue 3 HTTP benchmark).
local words = {"%E8%A8%AA%E5%95%8F", "%E7%9C%8B%E8%AD%B7", "%E3%81%95%E3%81%8F%E3%82%89", "%E3%82%B1%E3%82%A2", "%E3%81%B2%E3%81%BE%E3%82%8F%E3%82%8A"}
local services = {"110", "130", "150", "430"}
local points = {"35.69,139.69", "34.69,135.52", "43.06,141.35", "33.61,130.42", "35.18,136.91", "38.27,140.87"}
local n = 0
request = function()
  n = n + 1
  local w = words[(n % #words) + 1]
  local s = services[(n % #services) + 1]
  local p = points[(n % #points) + 1]
  local shape = n % 4
  local path
  if shape == 0 then path = "/api/v1/public/directory/search?q=" .. w
  elseif shape == 1 then path = "/api/v1/public/directory/search?q=" .. w .. "&service=" .. s
  elseif shape == 2 then path = "/api/v1/public/directory/search?near=" .. p .. "&service=" .. s
  else path = "/api/v1/public/directory/search?near=" .. p .. "&q=" .. w .. "&service=" .. s .. "&radius_km=30" end
  return wrk.format("GET", path)
end
