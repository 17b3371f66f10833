#!/usr/bin/env bash
# Foundation benchmarks (issue 2): start-up time to /readyz on an empty
# database, idle RSS, and HTTP throughput/latency of /healthz and of an
# authenticated page at concurrency 1, 16 and 64, on SQLite and PostgreSQL.
#
#   ./dev bench                 # both backends
#   BENCH_BACKENDS=sqlite ./dev bench
#
# Load comes from wrk (Debian) in a second process on loopback. Each load
# point runs BENCH_RUNS times (default 3) and the median is reported. The
# machine's 2 cores are shared by wrk and renkei, so numbers are a floor.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN # renkei refuses RENKEI_* settings it does not know
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-8s}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
. "$(dirname "$0")/lib.sh"


echo "# renkei foundation benchmark — $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "binary: $BIN ($(du -h "$BIN" | cut -f1)); wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'); runs per point: $RUNS × $DURATION"
echo

for backend in $BACKENDS; do
  [ "$backend" = postgres ] && start_pg
  echo "## $backend"
  # Start-up to /readyz on an empty database (migrations included).
  startups=()
  for i in 1 2 3 4 5; do
    url=$(new_db_url "$backend" "startup_$i")
    port=$(free_port)
    t0=$(now_ms); pid=$(serve "$url" "$port"); PIDS+=("$pid")
    wait_ready "$port"; t1=$(now_ms)
    startups+=($((t1 - t0)))
    if [ "$i" = 5 ]; then sleep 3; rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status"); fi
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  echo "start-up to /readyz (empty database, ms, 5 runs): ${startups[*]} → median $(printf '%s\n' "${startups[@]}" | median) ms"
  echo "idle RSS after start-up: $((rss / 1024)) MB"

  # A server with one signed-in user (municipal officer: no TOTP needed).
  url=$(new_db_url "$backend" "load")
  RENKEI_DATABASE_URL=$url RENKEI_LOG=warn "$BIN" region create --code bench --name bench >/dev/null
  echo "a long bench password" | RENKEI_DATABASE_URL=$url RENKEI_LOG=warn "$BIN" user create --username bench \
    --name "負荷 試験" --role municipal_officer --region bench --password-stdin >/dev/null
  port=$(free_port); pid=$(serve "$url" "$port"); PIDS+=("$pid"); wait_ready "$port"
  jar="$WORK/jar"; rm -f "$jar"
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode username=bench \
    --data-urlencode "password=a long bench password" "http://127.0.0.1:$port/login"
  session=$(awk '$6=="renkei_session" {print $7}' "$jar")
  [ -n "$session" ] || { echo "login failed"; exit 1; }
  # Read the page whole first (`curl | grep -q` races under pipefail).
  page=$(curl -fs -H "Cookie: renkei_session=$session" "http://127.0.0.1:$port/") \
    && grep -q '負荷 試験' <<<"$page" || { echo "home page not served"; exit 1; }

  echo
  echo "| endpoint | concurrency | req/s (median) | p50 ms | p99 ms | ratio to /healthz |"
  echo "|---|---|---|---|---|---|"
  for path in /healthz /; do
    for c in 1 16 64; do
      rps=(); p50=(); p99=()
      for r in $(seq "$RUNS"); do
        threads=$(( c < 2 ? 1 : 2 ))
        # /healthz is the bare ceiling: no cookie, so no session lookup.
        if [ "$path" = / ]; then cookie="Cookie: renkei_session=$session"; else cookie="X-Bench: ceiling"; fi
        out=$(wrk -t"$threads" -c"$c" -d"$DURATION" --latency -H "$cookie" "http://127.0.0.1:$port$path")
        rps+=("$(echo "$out" | awk '/Requests\/sec/ {print $2}')")
        to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f\n", v}'; }
        p50+=("$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)")
        p99+=("$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)")
        non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
        [ -z "$non2xx" ] || { echo "non-2xx answers on $path: $non2xx"; exit 1; }
      done
      m=$(printf '%s\n' "${rps[@]}" | median)
      if [ "$path" = /healthz ]; then eval "ceiling_$c=$m"; ratio="1.00"; else
        ratio=$(awk -v a="$m" -v b="$(eval echo \$ceiling_$c)" 'BEGIN {printf "%.2f", a/b}'); fi
      label=$path; [ "$path" = / ] && label="/ (home, signed in)"
      echo "| $label | $c | $m | $(printf '%s\n' "${p50[@]}" | median) | $(printf '%s\n' "${p99[@]}" | median) | $ratio |"
    done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo
done
