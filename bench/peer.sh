#!/usr/bin/env bash
# Sets up and runs the open-source peer MODS (goodsun/medical_open_data: FastAPI + SQLAlchemy +
# SQLite FTS5) on the same synthetic national data that the Renkei benchmarks use, so that the
# two can be measured side by side.
#
# Pinned peer commit: 4909fca2783abf4d8a0056b92d2eb3e84f8b3c0b
#   ("feat: add kaigo (nursing care) module - 223k facilities", MODS 0.1.4).
#
#   bench/peer.sh setup              extract the peer, make its venv, link the data, import
#   bench/peer.sh serve PORT WORKERS run uvicorn in the foreground (the caller backgrounds it)
#
# setup is idempotent: each step is skipped when its stamp says it is already done for the same
# input. It
#   1. extracts the pinned commit with `git archive` from PEER_MIRROR (default: the bare mirror
#      under /work/.mirror) into target/peer/src;
#   2. creates target/peer/venv and pip-installs the peer's requirements.txt (it pins only lower
#      bounds, so the resolved versions are written to target/peer/pip-freeze.txt);
#   3. links the synthetic files from NAT_DIR (default /tmp/nat) to where the peer's importers
#      read them: data/raw/<name>_20251201.csv (scripts/import_data.py hard-codes the 20251201
#      release in every file name, so e.g. 01-1_hospital_facility_info_20261201.csv is linked
#      under the 20251201 name) and data/raw/kaigo/jigyosho_<code>.csv (scripts/import_kaigo.py
#      globs that folder);
#   4. deletes data/medical.db and data/kaigo.db (the medical importer appends specialities, so
#      it must start from an empty DB, as the peer's README says) and runs, each timed with
#      /usr/bin/time: scripts/import_data.py, the build of the facilities_fts index (the peer
#      builds it in the app's startup hook when missing; doing it here keeps it out of server
#      start-up and avoids several workers building it at once), and scripts/import_kaigo.py
#      (which builds kaigo_facilities_fts itself). Timings go to target/peer/setup-timings.txt.
#      PEER_REIMPORT=1 forces the import even when the data and commit have not changed.
set -euo pipefail

PEER_COMMIT=4909fca2783abf4d8a0056b92d2eb3e84f8b3c0b
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEER_MIRROR=${PEER_MIRROR:-/work/.mirror/goodsun+medical_open_data/repo}
NAT_DIR=${NAT_DIR:-/tmp/nat}
PEER_DIR=$ROOT/target/peer
SRC=$PEER_DIR/src
VENV=$PEER_DIR/venv
PY=$VENV/bin/python
# The peer reads these; the defaults (data/medical.db, data/kaigo.db under src) are what we want.
unset DATABASE_URL KAIGO_DATABASE_URL
export PYTHONUNBUFFERED=1

# The release date the peer's importer expects in every medical file name.
PEER_RELEASE=20251201
MEDICAL_PREFIXES=(01-1_hospital_facility_info 01-2_hospital_speciality_hours
  02-1_clinic_facility_info 02-2_clinic_speciality_hours 03-1_dental_facility_info
  03-2_dental_speciality_hours 04_maternity_home 05_pharmacy)

log() { printf '== %s\n' "$*" >&2; }

extract() {
  if [ "$(cat "$SRC/.peer-commit" 2>/dev/null)" = "$PEER_COMMIT" ]; then
    log "peer source at $PEER_COMMIT already in $SRC"; return
  fi
  log "extracting $PEER_COMMIT from $PEER_MIRROR"
  rm -rf "$SRC" && mkdir -p "$SRC"
  git --git-dir="$PEER_MIRROR" archive "$PEER_COMMIT" | tar -x -C "$SRC"
  echo "$PEER_COMMIT" >"$SRC/.peer-commit"
}

make_venv() {
  local want; want=$(sha256sum "$SRC/requirements.txt" | cut -d' ' -f1)
  if [ -x "$PY" ] && [ "$(cat "$VENV/.requirements-sha" 2>/dev/null)" = "$want" ]; then
    log "venv already has the peer's requirements"; return
  fi
  log "creating $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$PY" -m pip install -q --disable-pip-version-check -r "$SRC/requirements.txt"
  "$PY" -m pip freeze --disable-pip-version-check >"$PEER_DIR/pip-freeze.txt"
  echo "$want" >"$VENV/.requirements-sha"
}

link_data() {
  local raw=$SRC/data/raw p f n
  mkdir -p "$raw/kaigo"
  find "$raw" -maxdepth 2 -type l -name '*.csv' -delete
  for p in "${MEDICAL_PREFIXES[@]}"; do
    # Any release date in our file name; the link carries the one the peer expects.
    mapfile -t f < <(compgen -G "$NAT_DIR/medical/${p}_*.csv" || true)
    if [ "${#f[@]}" -ne 1 ]; then
      echo "expected exactly one $NAT_DIR/medical/${p}_*.csv, found ${#f[@]}" >&2; exit 1
    fi
    ln -s "$(readlink -f "${f[0]}")" "$raw/${p}_${PEER_RELEASE}.csv"
  done
  n=0
  for f in "$NAT_DIR"/jigyosho_*.csv; do
    [ -e "$f" ] || continue
    ln -s "$(readlink -f "$f")" "$raw/kaigo/$(basename "$f")"; n=$((n + 1))
  done
  [ "$n" -gt 0 ] || { echo "no $NAT_DIR/jigyosho_*.csv" >&2; exit 1; }
  log "linked ${#MEDICAL_PREFIXES[@]} medical files and $n care files into $raw"
}

# A fingerprint of what the import reads: the peer commit and the linked files' names, sizes, mtimes.
data_fingerprint() {
  { echo "$PEER_COMMIT"; find -L "$SRC/data/raw" -name '*.csv' -printf '%P %s %T@\n' | sort; } |
    sha256sum | cut -d' ' -f1
}

timed() { # $1 label, $2 log file, rest: command. Prints "label: <secs> s <peak> KB".
  local label=$1 logf=$2; shift 2
  local t; t=$(mktemp)
  if ! /usr/bin/time -f "%e s %M KB" -o "$t" "$@" >"$logf" 2>&1; then
    echo "$label failed; last lines of $logf:" >&2; tail -20 "$logf" >&2; rm -f "$t"; exit 1
  fi
  echo "$label: $(tail -1 "$t")"
  rm -f "$t"
}

count_rows() { # $1 db, rest: tables
  local db=$1; shift
  "$PY" - "$db" "$@" <<'EOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print("  rows: " + ", ".join(
    f"{t}={con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]:,}" for t in sys.argv[2:]))
EOF
}

import_all() {
  local fp stamp=$PEER_DIR/import.stamp out=$PEER_DIR/setup-timings.txt
  fp=$(data_fingerprint)
  if [ "${PEER_REIMPORT:-0}" != 1 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$fp" ] &&
     [ -s "$SRC/data/medical.db" ] && [ -s "$SRC/data/kaigo.db" ]; then
    log "import already done for this data and commit (PEER_REIMPORT=1 to redo); recorded timings:"
    cat "$out"; return
  fi
  rm -f "$stamp" "$SRC"/data/medical.db* "$SRC"/data/kaigo.db*
  cd "$SRC"
  {
    echo "peer $PEER_COMMIT, data $NAT_DIR, $(date -u +%FT%TZ)"
    timed "medical import (scripts/import_data.py)" "$PEER_DIR/import_medical.log" \
      "$PY" scripts/import_data.py
    count_rows data/medical.db facilities specialities hospital_beds business_hours \
      specialty_master cities
    timed "medical FTS5 build (api.services.fts.rebuild_fts_index)" "$PEER_DIR/fts_medical.log" \
      "$PY" -c 'from api.database import SessionLocal
from api.services.fts import create_fts_table, rebuild_fts_index
db = SessionLocal(); assert create_fts_table(db); print(rebuild_fts_index(db))'
    count_rows data/medical.db facilities_fts
    timed "care import (scripts/import_kaigo.py)" "$PEER_DIR/import_kaigo.log" \
      "$PY" scripts/import_kaigo.py
    count_rows data/kaigo.db kaigo_facilities kaigo_facilities_fts
    grep -c '⚠️' "$PEER_DIR/import_medical.log" | sed 's/^/  medical importer "not found, skipping" warnings: /' || true
    echo "  DB sizes: $(du -h data/medical.db data/kaigo.db | awk '{printf "%s %s  ", $2, $1}')"
  } | tee "$out"
  echo "$fp" >"$stamp"
}

case "${1:-}" in
  setup)
    mkdir -p "$PEER_DIR"
    extract
    make_venv
    link_data
    import_all
    ;;
  serve)
    [ $# -eq 3 ] || { echo "usage: $0 serve PORT WORKERS" >&2; exit 2; }
    [ -s "$SRC/data/medical.db" ] || { echo "run $0 setup first" >&2; exit 1; }
    cd "$SRC"
    exec "$VENV/bin/uvicorn" api.main:app --host 127.0.0.1 --port "$2" --workers "$3"
    ;;
  *)
    echo "usage: $0 setup | serve PORT WORKERS" >&2; exit 2
    ;;
esac
