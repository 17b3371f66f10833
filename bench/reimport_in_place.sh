#!/usr/bin/env bash
# An import as a running server sees it (issue 13): another process
# changes many entries at once (its name gets a suffix and a new
# updated_at, as an import that rewrote every row would), and the server's
# index job applies the changes in place. Prints the RSS before, the peak
# while applying (sampled every 100 ms, and VmHWM), the RSS after, and the
# seconds from the commit until the job logged the changes applied.
#
#   RENKEI_DATABASE_URL=sqlite:///tmp/nat-copy.db RENKEI_DIRECTORY_INDEX_FILE=/tmp/nat-copy.index \
#     bench/reimport_in_place.sh 18443
#
# ROWS (an SQL condition, default every current row) picks the rows that
# change, e.g. ROWS='id % 30 = 0' for about 15,000 of the national
# directory (applied in place) against all of them (built whole).
#
# It rewrites names of the database it is given: run it on a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN
PORT=${1:-18443}
DB=${RENKEI_DATABASE_URL#sqlite://}
LOG=$(mktemp)
export RENKEI_LISTEN=127.0.0.1:$PORT RENKEI_LOG=info
"$BIN" serve >"$LOG" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$LOG"' EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; do
  kill -0 $pid 2>/dev/null || { echo "renkei serve exited" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
sleep 3
rss() { awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status; }
echo "RSS ready: $(rss) MB"
# Resets VmHWM (proc(5), clear_refs 5): the peak below is the apply's,
# not the start's.
echo 5 > /proc/$pid/clear_refs
# What the log said before the update (a start without a usable snapshot
# logs a build): the job's next line is the one that counts.
seen_before=$(grep -c "changed entries applied\|directory index built" "$LOG" || true)
start=$(date +%s.%N)
sqlite3 "$DB" "PRAGMA busy_timeout = 30000; UPDATE directory_entries SET name = name || '改', updated_at = $(date +%s%3N) WHERE disappeared_at IS NULL AND (${ROWS:-1 = 1});"
committed=$(date +%s.%N)
echo "update committed after $(echo "$committed - $start" | bc) s"
peak=0
until [ "$(grep -c "changed entries applied\|directory index built" "$LOG" || true)" -gt "$seen_before" ]; do
  r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
  kill -0 $pid 2>/dev/null || { echo "renkei serve exited" >&2; exit 1; }
  sleep 0.1
done
done_at=$(date +%s.%N)
grep -o "directory index[^=]*" "$LOG" | tail -n +$((seen_before + 1))
echo "applied $(echo "$done_at - $committed" | bc) s after the commit; peak RSS while applying $peak MB; VmHWM $(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$pid/status) MB"
sleep "${WAIT:-5}"
echo "RSS ${WAIT:-5} s later: $(rss) MB"
