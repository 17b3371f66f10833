#!/usr/bin/env bash
# Directory benchmarks (issue 3) on SQLite and PostgreSQL: the synthetic
# national dataset (≈299,000 care-service rows and ≈204,000 medical
# facilities) imported from its CSV files, in-process search of the four
# query shapes, and public search over HTTP at concurrency 64 against the
# /healthz ceiling of the same process, with RSS.
#
#   ./dev bench directory
#   BENCH_BACKENDS=sqlite ./dev bench directory
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN # renkei refuses RENKEI_* settings it does not know
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-8s}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
. "$(dirname "$0")/lib.sh"
export RENKEI_PUBLIC_SEARCH_PER_MINUTE=100000000 RENKEI_LOG=warn

echo "# renkei directory benchmark — $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "binary: $BIN; wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'); runs per point: $RUNS × $DURATION at concurrency 64"
"$BIN" bench generate --out "$WORK/nat" --seed 1
echo

timed() { # label, command… → prints seconds and peak RSS
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  read -r secs kb < "$WORK/time"
  echo "$secs $((kb / 1024))"
}

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f\n", v}'; }

for backend in $BACKENDS; do
  [ "$backend" = postgres ] && start_pg
  echo "## $backend"
  url=$(new_db_url "$backend" nat)
  export RENKEI_DATABASE_URL=$url
  "$BIN" migrate >/dev/null
  read -r care_s care_mb < <(timed "$BIN" import care-offices "$WORK"/nat/jigyosho_*.csv --show 0)
  grep -E "^rows read" "$WORK/out"
  read -r med_s med_mb < <(timed "$BIN" import medical "$WORK"/nat/medical/*.csv --show 0)
  grep -E "^rows read" "$WORK/out"
  read -r re_care_s _ < <(timed "$BIN" import care-offices "$WORK"/nat/jigyosho_*.csv --show 0)
  read -r re_med_s _ < <(timed "$BIN" import medical "$WORK"/nat/medical/*.csv --show 0)
  echo
  echo "| import | seconds | peak RSS MB |"
  echo "|---|---|---|"
  echo "| care-offices (first) | $care_s | $care_mb |"
  echo "| medical (first) | $med_s | $med_mb |"
  echo "| **both (target ≤ 60 s)** | **$(awk -v a="$care_s" -v b="$med_s" 'BEGIN {printf "%.1f", a+b}')** | |"
  echo "| re-import of the same files (unchanged) | $(awk -v a="$re_care_s" -v b="$re_med_s" 'BEGIN {printf "%.1f", a+b}') | |"
  echo
  "$BIN" bench search --queries 2000 --seed 1
  echo

  port=$(free_port)
  t0=$(now_ms); pid=$(serve "$url" "$port"); PIDS+=("$pid"); wait_ready "$port"; t1=$(now_ms)
  sleep 2
  rss_ready=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
  echo "start-up to /readyz with the national index: $((t1 - t0)) ms; RSS when ready: $rss_ready MB (target ≤ 400 MB); peak during the first build: $hwm MB"
  echo
  echo "| run | /healthz req/s | public search req/s | p50 ms | p99 ms | ratio |"
  echo "|---|---|---|---|---|---|"
  hs=(); ps=(); p50s=(); p99s=()
  for r in $(seq "$RUNS"); do
    h=$(wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$port/healthz" | awk '/Requests\/sec/ {print $2}')
    out=$(wrk -t2 -c64 -d"$DURATION" --latency -s bench/public_search.lua "http://127.0.0.1:$port/")
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    [ -z "$non2xx" ] || { echo "non-2xx answers: $non2xx"; exit 1; }
    p=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)
    p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)
    hs+=("$h"); ps+=("$p"); p50s+=("$p50"); p99s+=("$p99")
    echo "| $r | $h | $p | $p50 | $p99 | $(awk -v a="$p" -v b="$h" 'BEGIN {printf "%.3f", a/b}') |"
  done
  mh=$(printf '%s\n' "${hs[@]}" | median); mp=$(printf '%s\n' "${ps[@]}" | median)
  echo "| **median** | **$mh** | **$mp** (target ≥ 3,000) | $(printf '%s\n' "${p50s[@]}" | median) | **$(printf '%s\n' "${p99s[@]}" | median)** (target ≤ 50) | $(awk -v a="$mp" -v b="$mh" 'BEGIN {printf "%.3f", a/b}') |"
  echo
  echo "RSS after the load: $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status") MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  unset RENKEI_DATABASE_URL
  echo
done
