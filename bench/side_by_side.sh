#!/usr/bin/env bash
# The directory's public search side by side with the open-source peer MODS
# (goodsun/medical_open_data, FastAPI + SQLite FTS5) on the same synthetic
# national data, same machine, same run, interleaved (issue 13): every query
# shape at concurrency 64 against Renkei, the peer with 1 uvicorn worker and
# the peer with 2, RUNS rounds; then a sample of answers compared.
#
#   bench/peer.sh setup                       # once: the peer and its import
#   bench/side_by_side.sh                     # NAT_DIR=/tmp/nat NAT_DB=/tmp/nat.db
#
# NAT_DB is a Renkei database with NAT_DIR's files imported
# (renkei import medical …; renkei import care-offices …); its index snapshot
# is kept beside it (NAT_DB.index) so the server starts in a second.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN
NAT_DIR=${NAT_DIR:-/tmp/nat}
NAT_DB=${NAT_DB:-/tmp/nat.db}
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-8s}
SHAPES=${BENCH_SHAPES:-"near_kind near_speciality speciality_prefecture keyword municipality care_keyword care_service_prefecture care_near detail"}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -- -"$p" 2>/dev/null || true; done
  sleep 1
  # uvicorn finishes the requests it holds before it stops: not here.
  for p in "${PIDS[@]}"; do kill -9 -- -"$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 bench/side_by_side_samples.py "$NAT_DIR" "$NAT_DB" "$WORK/samples.lua" >&2

wait_for() { # url
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not answering: $1" >&2; exit 1
}

RENKEI_DATABASE_URL=sqlite://$NAT_DB RENKEI_LISTEN=127.0.0.1:18500 RENKEI_LOG=warn \
  RENKEI_DIRECTORY_INDEX_FILE=$NAT_DB.index RENKEI_PUBLIC_SEARCH_PER_MINUTE=100000000 \
  setsid "$BIN" serve >"$WORK/renkei.log" 2>&1 &
PIDS+=($!)
RENKEI_PID=$!
setsid bench/peer.sh serve 18601 1 >/dev/null 2>&1 &
PIDS+=($!)
setsid bench/peer.sh serve 18602 2 >/dev/null 2>&1 &
PIDS+=($!)
wait_for http://127.0.0.1:18500/readyz
wait_for http://127.0.0.1:18601/api/v1/prefectures
wait_for http://127.0.0.1:18602/api/v1/prefectures

echo "# directory side by side — $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "renkei $(git rev-parse --short HEAD) (release); peer $(cat target/peer/src/.peer-commit | cut -c1-7) with $(target/peer/venv/bin/python -c 'import uvicorn; print("uvicorn", uvicorn.__version__)')"
echo "wrk -t2 -c64 -d$DURATION --timeout 10s, $RUNS interleaved rounds; medians of req/s and of p99 (a request unanswered in 10 s counts as none)"
echo

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.1f\n", v}'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

settle() { # port path: wait until the server answers a cheap request in 2 s again
  # (a server still working through the last run's queue would be measured
  # on the next shape's time)
  for _ in $(seq 1 60); do curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$1$2" && return 0; sleep 1; done
  echo "warning: port $1 still busy after a minute; measuring anyway" >&2
}

run() { # shape target port → "req/s p99ms non2xx"
  SAMPLES=$WORK/samples.lua SHAPE=$1 TARGET=$2 wrk -t2 -c64 -d"$DURATION" --timeout 10s --latency -s bench/shapes.lua "http://127.0.0.1:$3" >"$WORK/wrk" 2>&1
  local rps p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk" | to_ms)
  bad=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk"); bad=${bad:-0}
  echo "$rps $p99 $bad"
}

echo "| shape | Renkei req/s | p99 ms | peer ×1 req/s | p99 ms | peer ×2 req/s | p99 ms | Renkei ÷ peer×1 | Renkei ÷ peer×2 |"
echo "|---|---|---|---|---|---|---|---|---|"
peak=0
for shape in $SHAPES; do
  : >"$WORK/r"; : >"$WORK/p1"; : >"$WORK/p2"
  for _ in $(seq 1 "$RUNS"); do
    settle 18500 /healthz
    run "$shape" renkei 18500 >>"$WORK/r"
    rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/"$RENKEI_PID"/status 2>/dev/null || echo 0)
    [ "$rss" -gt "$peak" ] && peak=$rss
    settle 18601 /api/v1/prefectures
    run "$shape" peer 18601 >>"$WORK/p1"
    settle 18602 /api/v1/prefectures
    run "$shape" peer 18602 >>"$WORK/p2"
  done
  for f in r p1 p2; do
    if awk '$3 != 0 {exit 1}' "$WORK/$f"; then :; else echo "warning: $shape $f had non-2xx answers: $(cat "$WORK/$f" | tr '\n' ';')" >&2; fi
  done
  r=$(cut -d' ' -f1 "$WORK/r" | median); rp=$(cut -d' ' -f2 "$WORK/r" | median)
  a=$(cut -d' ' -f1 "$WORK/p1" | median); ap=$(cut -d' ' -f2 "$WORK/p1" | median)
  b=$(cut -d' ' -f1 "$WORK/p2" | median); bp=$(cut -d' ' -f2 "$WORK/p2" | median)
  echo "| $shape | $r | $rp | $a | $ap | $b | $bp | $(awk -v x="$r" -v y="$a" 'BEGIN {printf "%.0f×", x/y}') | $(awk -v x="$r" -v y="$b" 'BEGIN {printf "%.0f×", x/y}') |"
done
echo
echo "Renkei RSS under this load peaked at $peak MB (sampled after each run)."
echo
settle 18602 /api/v1/prefectures
python3 bench/side_by_side_compare.py "$WORK/samples.lua" 18500 18602
