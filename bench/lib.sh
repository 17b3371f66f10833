# Shared by the benchmark scripts: a work directory cleaned up on exit, a
# throw-away PostgreSQL, free ports, medians, and `renkei serve`.
WORK=$(mktemp -d /tmp/renkei-bench-XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${PGDATA_DIR:-}" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
now_ms() { date +%s%3N; }

start_pg() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGDATA_DIR="$WORK/pg"
  mkdir -p "$PGDATA_DIR" && chown postgres "$WORK" "$PGDATA_DIR"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres --no-sync >/dev/null
  PGPORT=$(free_port)
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg.log" -w \
    -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
}

new_db_url() { # $1 backend, $2 name
  if [ "$1" = sqlite ]; then echo "sqlite://$WORK/$2.db"; else
    runuser -u postgres -- psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE $2" >/dev/null
    echo "postgres://postgres@127.0.0.1:$PGPORT/$2"; fi
}

serve() { # $1 url, $2 port -> PID
  RENKEI_DATABASE_URL=$1 RENKEI_LISTEN=127.0.0.1:$2 RENKEI_LOG=warn RENKEI_COOKIE_SECURE=false \
    "$BIN" serve >/dev/null 2>&1 &
  echo $!
}

wait_ready() { until curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; do sleep 0.005; done; }
