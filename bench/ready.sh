#!/usr/bin/env bash
# Start-up of `renkei serve` on a database: seconds until /readyz answers
# 200 (polled every 100 ms) and RSS while starting and a few seconds after
# (issue 13: the directory's index from its snapshot, or built).
#
#   RENKEI_DATABASE_URL=sqlite:///tmp/nat.db RENKEI_DIRECTORY_INDEX_FILE=/tmp/nat.db.index bench/ready.sh 18440
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN
PORT=${1:-18440}
export RENKEI_LISTEN=127.0.0.1:$PORT RENKEI_LOG=${RENKEI_LOG:-warn}
start=$(date +%s.%N)
"$BIN" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
peak=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$peak" ] && peak=$rss
  kill -0 $pid 2>/dev/null || { echo "renkei serve exited" >&2; exit 1; }
  sleep 0.1
done
echo "ready after $(echo "$(date +%s.%N) - $start" | bc) s, peak RSS while starting $((peak / 1024)) MB"
sleep "${WAIT:-3}"
echo "RSS ${WAIT:-3} s after ready: $(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MB; VmHWM $(( $(awk '/VmHWM/ {print $2}' /proc/$pid/status) / 1024 )) MB"
