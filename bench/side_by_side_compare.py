"""Compares a sample of answers of Renkei's public directory API and the
peer MODS on the same data: the same facilities found near a point, the
same totals for a speciality or a care service within a prefecture, the
same facility by id. Usage: side_by_side_compare.py SAMPLES.lua RENKEI_PORT PEER_PORT"""
import json
import sys
import urllib.parse
import urllib.request

samples = json.load(open(sys.argv[1].replace(".lua", ".json")))
renkei = f"http://127.0.0.1:{sys.argv[2]}/api/v1/public/directory"
peer = f"http://127.0.0.1:{sys.argv[3]}/api/v1"
q = urllib.parse.quote


def get(url):
    with urllib.request.urlopen(url, timeout=300) as r:
        return json.load(r)


def renkei_names(query):
    names, cursor = [], None
    while True:
        page = get(f"{renkei}/search?{query}&limit=100" + (f"&cursor={cursor}" if cursor else ""))
        names += [i["name"] for i in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor or len(names) >= 1000:
            return names, page


def peer_names(path):
    page = get(f"{peer}/{path}")
    items = page if isinstance(page, list) else page.get("items", page.get("results", []))
    return [i["name"] for i in items], page


def report(title, same, total, detail=""):
    print(f"- {title}: {same} of {total} the same{detail}")


same = 0
for lat, lon in samples["points"][:10]:
    a, _ = renkei_names(f"near={lat},{lon}&radius_km=3&kind=hospital")
    b, _ = peer_names(f"facilities/nearby?lat={lat}&lng={lon}&radius=3&type=1&limit=100")
    same += sorted(a) == sorted(b)
report("hospitals within 3 km of a point (the set of names)", same, 10)

same = 0
for lat, lon in samples["points"][:10]:
    a, _ = renkei_names(f"near={lat},{lon}&radius_km=1&speciality=01001")
    b, _ = peer_names(f"facilities/nearby?lat={lat}&lng={lon}&radius=1&specialty={q('内科')}&limit=100")
    same += sorted(a) == sorted(b)
report("内科 within 1 km of a point (the set of names)", same, 10)

rows = []
for pref in samples["prefectures"]:
    a = get(f"{renkei}/search?prefecture={pref}&speciality=01001&limit=1")
    b = get(f"{peer}/facilities?prefecture={pref}&specialty={q('内科')}&per_page=1")
    rows.append((pref, a["total"], a["total_is_estimate"], b.get("total")))
report("内科 within a prefecture (total)", sum(r[1] == r[3] for r in rows), len(rows),
       ": " + ", ".join(f"{p} {x}{'≈' if e else ''}/{y}" for p, x, e, y in rows))

rows = []
for pref in samples["prefectures"][:4]:
    for service in samples["care_services"][:2]:
        a = get(f"{renkei}/search?prefecture={pref}&service={service}&limit=1")
        b = get(f"{peer}/kaigo?prefecture={pref}&service={service}&per_page=1")
        rows.append((f"{pref}/{service}", a["total"], a["total_is_estimate"], b.get("total")))
report("a care service within a prefecture (total)", sum(r[1] == r[3] for r in rows), len(rows),
       ": " + ", ".join(f"{p} {x}{'≈' if e else ''}/{y}" for p, x, e, y in rows))

same = 0
for entry, national in samples["details"][:10]:
    a = get(f"{renkei}/entries/{entry}")
    b = get(f"{peer}/facilities/{national}")
    same += a["name"] == b["name"]
report("a facility by id (its name)", same, 10)
