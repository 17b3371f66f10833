#!/usr/bin/env bash
# Emergency benchmark (issue 15): opening a card's link in-process (the
# token's lookup, the opening kept, the audit record, the freshness judged)
# against a baseline indexed read measured in the same run, on SQLite and
# PostgreSQL, each run on a fresh database of residents with a card each;
# then a town of 50,000 residents (BENCH_TOWN) written in bulk, whose
# disaster list is timed from the service call to the print view and CSV.
#
#   ./dev bench emergency
#   BENCH_BACKENDS=sqlite BENCH_RUNS=1 ./dev bench emergency   (a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RENKEI_BIN:-./target/release/renkei}
unset RENKEI_BIN # renkei refuses RENKEI_* settings it does not know
RUNS=${BENCH_RUNS:-3}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
RECORDS=${BENCH_RECORDS:-2000}
SAMPLES=${BENCH_SAMPLES:-2000}
TOWN=${BENCH_TOWN:-50000}
. "$(dirname "$0")/lib.sh"
export RENKEI_LOG=warn

echo "# renkei emergency benchmark — $(date -u +%FT%TZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "binary: $BIN; $RECORDS residents with a card each; $SAMPLES samples per path; $RUNS runs"
echo

for backend in $BACKENDS; do
  [ "$backend" = postgres ] && start_pg
  echo "## $backend"
  for run in $(seq 1 "$RUNS"); do
    echo
    echo "### run $run"
    url=$(new_db_url "$backend" "emergency$run")
    RENKEI_DATABASE_URL=$url "$BIN" bench emergency --records "$RECORDS" --samples "$SAMPLES" --seed "$run" --town "$TOWN"
  done
  echo
done
