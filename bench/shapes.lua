-- wrk script: one query shape of the directory benchmark against Renkei's
-- public API or the peer MODS (goodsun/medical_open_data), rotating over
-- the same sample values for both (SAMPLES: a Lua file written by
-- bench/side_by_side.sh from the synthetic national data).
--   SHAPE   near_kind | near_speciality | speciality_prefecture | keyword |
--           municipality | care_keyword | care_service_prefecture |
--           care_near | detail
--   TARGET  renkei | peer
local s = dofile(os.getenv("SAMPLES"))
local shape = os.getenv("SHAPE")
local target = os.getenv("TARGET")
local n = 0

local function at(list)
  return list[(n % #list) + 1]
end

local R = "/api/v1/public/directory/search?"
local P = "/api/v1/"
local paths = {
  renkei = {
    near_kind = function(p) return R .. "near=" .. p[1] .. "," .. p[2] .. "&radius_km=3&kind=hospital" end,
    near_speciality = function(p) return R .. "near=" .. p[1] .. "," .. p[2] .. "&radius_km=1&speciality=" .. s.speciality_code end,
    speciality_prefecture = function() return R .. "prefecture=" .. at(s.prefectures) .. "&speciality=" .. s.speciality_code end,
    keyword = function() return R .. "kind=medical&q=" .. at(s.keywords) end,
    municipality = function() return R .. "kind=medical&q=" .. at(s.municipalities) end,
    care_keyword = function() return R .. "kind=care&q=" .. at(s.care_keywords) end,
    care_service_prefecture = function() return R .. "service=" .. at(s.care_services) .. "&prefecture=" .. at(s.prefectures) end,
    care_near = function(p) return R .. "near=" .. p[1] .. "," .. p[2] .. "&radius_km=3&kind=care" end,
    detail = function() return "/api/v1/public/directory/entries/" .. at(s.details)[1] end,
  },
  peer = {
    near_kind = function(p) return P .. "facilities/nearby?lat=" .. p[1] .. "&lng=" .. p[2] .. "&radius=3&type=1" end,
    near_speciality = function(p) return P .. "facilities/nearby?lat=" .. p[1] .. "&lng=" .. p[2] .. "&radius=1&specialty=" .. s.speciality_name end,
    speciality_prefecture = function() return P .. "facilities?prefecture=" .. at(s.prefectures) .. "&specialty=" .. s.speciality_name end,
    keyword = function() return P .. "facilities?q=" .. at(s.keywords) end,
    municipality = function() return P .. "facilities?q=" .. at(s.municipalities) end,
    care_keyword = function() return P .. "kaigo?q=" .. at(s.care_keywords) end,
    care_service_prefecture = function() return P .. "kaigo?service=" .. at(s.care_services) .. "&prefecture=" .. at(s.prefectures) end,
    care_near = function(p) return P .. "kaigo/nearby?lat=" .. p[1] .. "&lng=" .. p[2] .. "&radius=3" end,
    detail = function() return P .. "facilities/" .. at(s.details)[2] end,
  },
}

request = function()
  n = n + 1
  return wrk.format("GET", paths[target][shape](at(s.points)))
end
