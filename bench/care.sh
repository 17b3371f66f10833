#!/usr/bin/env bash
# Care benchmarks (issue 4) on SQLite and PostgreSQL: the synthetic
# prefecture (30,000 professionals, 100,000 patients in teams of six,
# 5,000,000 posts, 10 % with vitals, 1 % urgent, ≈10 million read receipts),
# in-process latency of the first timeline page, "my unread" and sustained
# post creation, and timeline pages over HTTP at concurrency 64 against the
# /healthz ceiling of the same process.
#
#   ./dev bench care
#   BENCH_BACKENDS=sqlite BENCH_POSTS=500000 ./dev bench care   (a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN # renkei refuses RENKEI_* settings it does not know
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-8s}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
PROS=${BENCH_PROFESSIONALS:-30000}
PATIENTS_N=${BENCH_PATIENTS:-100000}
POSTS=${BENCH_POSTS:-5000000}
. "$(dirname "$0")/lib.sh"
export RENKEI_LOG=warn

echo "# renkei care benchmark — $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "binary: $BIN; wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'); scale: $PROS professionals, $PATIENTS_N patients, $POSTS posts"
echo

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f\n", v}'; }

for backend in $BACKENDS; do
  [ "$backend" = postgres ] && start_pg
  echo "## $backend"
  url=$(new_db_url "$backend" care)
  export RENKEI_DATABASE_URL=$url
  "$BIN" migrate >/dev/null
  /usr/bin/time -f "%e s, peak RSS %M KB" "$BIN" bench care-generate --professionals "$PROS" --patients "$PATIENTS_N" \
    --posts "$POSTS" --sample-out "$WORK/sample.txt" 2>&1
  echo
  echo "### in-process (64 writers, then 16)"
  echo
  "$BIN" bench care --samples 2000 --seconds 10 --concurrency 64
  echo
  "$BIN" bench care --samples 200 --seconds 10 --concurrency 16 | tail -3
  echo

  user=$(head -1 "$WORK/sample.txt"); export PATIENTS=$(sed -n 2p "$WORK/sample.txt")
  port=$(free_port)
  RENKEI_DATABASE_URL=$url RENKEI_LISTEN=127.0.0.1:$port RENKEI_COOKIE_SECURE=false RENKEI_REQUIRE_MFA=false \
    "$BIN" serve >/dev/null 2>&1 &
  pid=$!; PIDS+=("$pid"); wait_ready "$port"
  jar="$WORK/jar"; rm -f "$jar"
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=a long bench password" "http://127.0.0.1:$port/login"
  export SESSION=$(awk '$6=="renkei_session" {print $7}' "$jar")
  [ -n "$SESSION" ] || { echo "login failed"; exit 1; }
  first=$(echo "$PATIENTS" | awk '{print $1}')
  # Read the page whole before looking into it: `curl | grep -q` fails under
  # pipefail whenever grep stops reading before curl has written the rest.
  page=$(curl -fs -H "Cookie: renkei_session=$SESSION" "http://127.0.0.1:$port/patients/$first") \
    && grep -q '患者' <<<"$page" || { echo "timeline not served"; exit 1; }
  echo "### HTTP: $user's $(echo "$PATIENTS" | wc -w) patients in turn, concurrency 64"
  echo
  echo "| run | /healthz req/s | timeline pages/s | p50 ms | p99 ms | ratio |"
  echo "|---|---|---|---|---|---|"
  hs=(); ps=(); p50s=(); p99s=()
  for r in $(seq "$RUNS"); do
    h=$(wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$port/healthz" | awk '/Requests\/sec/ {print $2}')
    out=$(wrk -t2 -c64 -d"$DURATION" --latency -s bench/care_timeline.lua "http://127.0.0.1:$port/")
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    [ -z "$non2xx" ] || { echo "non-2xx answers: $non2xx"; echo "$out"; exit 1; }
    p=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)
    p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)
    hs+=("$h"); ps+=("$p"); p50s+=("$p50"); p99s+=("$p99")
    echo "| $r | $h | $p | $p50 | $p99 | $(awk -v a="$p" -v b="$h" 'BEGIN {printf "%.3f", a/b}') |"
  done
  mh=$(printf '%s\n' "${hs[@]}" | median); mp=$(printf '%s\n' "${ps[@]}" | median)
  echo "| **median** | **$mh** | **$mp** (target ≥ 1,500) | $(printf '%s\n' "${p50s[@]}" | median) | **$(printf '%s\n' "${p99s[@]}" | median)** | $(awk -v a="$mp" -v b="$mh" 'BEGIN {printf "%.3f", a/b}') |"
  echo
  echo "RSS after the load: $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status") MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo
done
