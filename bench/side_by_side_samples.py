"""Writes the sample values of bench/shapes.lua from the synthetic national
data: points at hospitals, prefectures, name words, municipality names, care
words and services, and facilities by national ID with their Renkei entry
ids. Usage: side_by_side_samples.py NAT_DIR NAT_DB OUT.lua"""
import csv
import random
import sqlite3
import sys
import urllib.parse

nat, db, out = sys.argv[1:4]
rng = random.Random(13)
q = urllib.parse.quote
hospitals = list(csv.DictReader(open(f"{nat}/medical/01-1_hospital_facility_info_20261201.csv", encoding="utf-8-sig")))
hospitals = [h for h in hospitals if h["所在地座標（緯度）"] not in ("", "0.0")]
picked = rng.sample(hospitals, 40)
points = [(h["所在地座標（緯度）"], h["所在地座標（経度）"]) for h in picked]
c = sqlite3.connect(db)
details = []
for h in rng.sample(hospitals, 40):
    row = c.execute("SELECT id FROM directory_entries WHERE official_code = ? AND disappeared_at IS NULL", (h["ID"],)).fetchone()
    if row:
        details.append((row[0], h["ID"]))
municipalities = [m for (m,) in c.execute(
    "SELECT municipality_name FROM directory_entries WHERE municipality_name <> '' "
    "GROUP BY municipality_name HAVING COUNT(*) > 100 ORDER BY municipality_name")]
municipalities = rng.sample(municipalities, 10)


def lua_list(values):
    return "{" + ", ".join(values) + "}"


with open(out, "w", encoding="utf-8") as f:
    f.write("return {\n")
    f.write("  points = " + lua_list('{"%s", "%s"}' % p for p in points) + ",\n")
    f.write("  prefectures = " + lua_list('"%s"' % p for p in ["13", "27", "01", "14", "23", "40", "11", "28"]) + ",\n")
    f.write("  speciality_code = \"01001\",\n")
    f.write("  speciality_name = \"%s\",\n" % q("内科"))
    f.write("  keywords = " + lua_list('"%s"' % q(w) for w in ["記念病院", "中央病院", "クリニック", "歯科医院", "整形外科"]) + ",\n")
    f.write("  municipalities = " + lua_list('"%s"' % q(m) for m in municipalities) + ",\n")
    f.write("  care_keywords = " + lua_list('"%s"' % q(w) for w in ["訪問介護", "デイサービス", "居宅介護支援", "訪問看護"]) + ",\n")
    f.write("  care_services = " + lua_list('"%s"' % s for s in ["150", "110", "130", "430"]) + ",\n")
    f.write("  details = " + lua_list('{%d, "%s"}' % d for d in details) + ",\n")
    f.write("}\n")
import json
json.dump({"points": points, "prefectures": ["13", "27", "01", "14", "23", "40", "11", "28"],
           "municipalities": municipalities, "details": details,
           "keywords": ["記念病院", "中央病院", "クリニック", "歯科医院", "整形外科"],
           "care_services": ["150", "110", "130", "430"]},
          open(out.replace(".lua", ".json"), "w"), ensure_ascii=False)
print(f"{len(points)} points, {len(details)} facilities, municipalities {', '.join(municipalities)}")
