#!/usr/bin/env bash
# The `postgres_cdc` source draining a logical replication slot, against PostgreSQL's own
# client, measured in one run on one machine (CONVENTIONS.md: the ratio is what counts):
#   1. a throwaway PostgreSQL 15 cluster in a temp dir (initdb; as the `postgres` OS user through
#      runuser when run as root), wal_level=logical, fsync at its default (on) unless FSYNC=off;
#   2. database `bench`, table bench_rows(id, name, email, amount, created_at, payload) of about
#      200 bytes a row (printed below), publication bench_pub FOR TABLE bench_rows, and two
#      pgoutput slots, weft_bench and recv_bench, created BEFORE the load so both have the same
#      WAL to decode;
#   3. ROWS rows (1,000,000) committed TXN_ROWS (1,000) a transaction by a DO loop; END_LSN is
#      pg_current_wal_lsn() after the last commit;
#   4. pg_recvlogical drains recv_bench (-o proto_version=1 -o publication_names=bench_pub,
#      -f /dev/null, -E END_LSN, --no-loop): the peer, pgoutput decoded by the server and the
#      bytes thrown away; wall time and max RSS from GNU time;
#   5. weft drains weft_bench: a daemon with one pipeline, `postgres_cdc` (snapshot never,
#      debezium envelope, publication autocreate disabled) -> `file` sink (JSON lines), timed
#      from process start until the file holds ROWS lines or the slot's confirmed_flush_lsn
#      reaches END_LSN; peak RSS is the daemon's VmHWM, CPU its utime + stime;
#   6. weftkafka (CDC -> Kafka end to end) drains weftkafka_bench the same way into the `kafka`
#      sink (defaults: idempotent, lz4; topic bench_rows of 8 partitions on weft-fake-kafka, the
#      tests' broker, started for it; checkpoint interval 200ms), timed until the slot's
#      confirmed_flush_lsn reaches END_LSN: every row's message confirmed by the broker, then
#      checkpointed. The broker's CPU is not counted.
# One round (a slot drains once; another round needs another load). Prints Markdown; not part of
# CI; docs/benchmarks.md records a run.
#   QUICK=1 ./bench/cdc.sh        a smoke run: 50,000 rows
#   ROWS=1000000 TXN_ROWS=1000    rows loaded, rows per transaction
#   CLIENTS="recvlogical weft weftkafka"    leave some out
#   FSYNC=off                     the cluster without fsync (default: on, as in production)
#   WORKERS=2                     weft's `workers`
#   PG_BINDIR=/usr/lib/postgresql/15/bin   the server binaries (default: 15, else the highest)
#   WEFT=path/to/weft             run that binary instead of building build/release's
#   KEEP=1                        keep the work dir (cluster, weft's log and output) at the end
# Exit status: 0 when every client drained everything; 3 when weft could not run (not built, or
# no `postgres_cdc` source in this build); 1 on any other failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then
  ROWS=${ROWS:-50000}
fi
ROWS=${ROWS:-1000000}
TXN_ROWS=${TXN_ROWS:-1000}
CLIENTS=${CLIENTS:-recvlogical weft weftkafka}
FSYNC=${FSYNC:-on}
WORKERS=${WORKERS:-2}
if [ $((ROWS % TXN_ROWS)) -ne 0 ]; then
  echo "cdc.sh: ROWS ($ROWS) must be a multiple of TXN_ROWS ($TXN_ROWS)" >&2
  exit 1
fi

# ---- what the benchmark needs, installed only if missing ----
./scripts/install-packages.sh postgresql-15 postgresql-client-15 time procps

WORK=$(mktemp -d)
PGDIR=$WORK/pg
WEFT_PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  [ -n "${BROKER:-}" ] && stop_pid "$BROKER"
  if [ -n "$WEFT_PID" ]; then
    kill -TERM "$WEFT_PID" 2>/dev/null || true
    wait "$WEFT_PID" 2>/dev/null || true
  fi
  stop_pg_cluster "$PGDIR"
  if [ -n "${KEEP:-}" ]; then echo "cdc.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- weft: built first, so the build does not overlap a measurement; its failure only costs
# the weft half (WEFT_ERROR says why) ----
WEFT_ERROR=
if [[ " $CLIENTS " == *" weft"* ]]; then
  if [ -z "${WEFT:-}" ]; then
    if { [ -f build/release/build.ninja ] || cmake --preset release >"$WORK/build.log" 2>&1; } &&
       cmake --build --preset release --target weft >>"$WORK/build.log" 2>&1; then
      WEFT=$PWD/build/release/src/cli/weft
    else
      WEFT_ERROR="the release build failed: $(grep -m1 -i 'error' "$WORK/build.log" || tail -n1 "$WORK/build.log")"
    fi
  elif [ ! -x "$WEFT" ]; then
    WEFT_ERROR="WEFT=$WEFT is not an executable"
  fi
fi

# ---- the cluster ----
start_pg_cluster "$PGDIR" "wal_level = logical
max_replication_slots = 10
max_wal_senders = 10"
DSN="host=127.0.0.1 port=$PORT dbname=bench user=postgres"

sql "CREATE DATABASE bench" postgres
# ~200 bytes of column data a row: id, 'name-N', 'userN@example.com', an amount, a timestamp,
# and 124 characters of payload.
sql "CREATE TABLE bench_rows(id bigint PRIMARY KEY, name text, email text, amount numeric(12,2),
                             created_at timestamptz, payload text)"
sql "CREATE PUBLICATION bench_pub FOR TABLE bench_rows"
sql "SELECT pg_create_logical_replication_slot('weft_bench', 'pgoutput')" >/dev/null
sql "SELECT pg_create_logical_replication_slot('recv_bench', 'pgoutput')" >/dev/null
if [[ " $CLIENTS " == *" weftkafka "* ]]; then
  sql "SELECT pg_create_logical_replication_slot('weftkafka_bench', 'pgoutput')" >/dev/null
  start_fake_kafka "$WORK"
  broker topic bench_rows 8
fi

LOAD_START=$EPOCHREALTIME
sql "DO \$\$
DECLARE
  b bigint;
BEGIN
  FOR b IN 0 .. $((ROWS / TXN_ROWS - 1)) LOOP
    INSERT INTO bench_rows
      SELECT i, 'name-' || i, 'user' || i || '@example.com', (i % 10000000) / 100.0,
             now() + i * interval '1 ms', left(repeat(md5(i::text), 4), 124)
      FROM generate_series(b * $TXN_ROWS + 1, (b + 1) * $TXN_ROWS) AS i;
    COMMIT;
  END LOOP;
END
\$\$"
LOAD_SECONDS=$(elapsed "$LOAD_START" "$EPOCHREALTIME")
END_LSN=$(sql "SELECT pg_current_wal_lsn()")
START_LSN=$(sql "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'recv_bench'")
WAL_BYTES=$(sql "SELECT pg_wal_lsn_diff('$END_LSN', '$START_LSN')")
read -r ROW_BYTES ROW_TEXT_BYTES < <(sql "SELECT round(avg(pg_column_size(r.*))),
  round(avg(octet_length(r::text))) FROM (SELECT * FROM bench_rows TABLESAMPLE SYSTEM (1)) r" |
  tr '|' ' ')
[ "$(sql "SELECT count(*) FROM bench_rows")" = "$ROWS" ] ||
  { echo "cdc.sh: the load did not commit $ROWS rows" >&2; exit 1; }

slot_lsn() {  # $1: slot; prints its confirmed_flush_lsn
  sql "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'"
}
slot_done() {  # $1: slot; true once its confirmed_flush_lsn has reached END_LSN
  [ "$(sql "SELECT confirmed_flush_lsn >= '$END_LSN' FROM pg_replication_slots
            WHERE slot_name = '$1'")" = t ]
}

declare -A SECS CPU_S RSS_KB NOTE
FAILED=0

# ---- (a) pg_recvlogical ----
measure_recvlogical() {
  local start end u s m status=0
  start=$EPOCHREALTIME
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/recv.time" \
    "$PG_BINDIR/pg_recvlogical" -d "$DSN" --slot recv_bench --start \
    -o proto_version=1 -o publication_names=bench_pub -f /dev/null --no-loop -E "$END_LSN" \
    >"$WORK/recv.log" 2>&1 || status=$?
  end=$EPOCHREALTIME
  if [ "$status" -ne 0 ]; then
    NOTE[recvlogical]="**exited with status $status:** $(tail -n1 "$WORK/recv.log")"
    FAILED=1
    return
  fi
  read -r _ u s m <"$WORK/recv.time"
  SECS[recvlogical]=$(elapsed "$start" "$end")
  CPU_S[recvlogical]=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
  RSS_KB[recvlogical]=$m
  slot_done recv_bench ||
    NOTE[recvlogical]="slot confirmed up to $(slot_lsn recv_bench) only (end $END_LSN)"
}

# ---- (b) weft ----
cpu_ticks() {  # $1: pid; prints utime + stime in clock ticks
  local stat
  read -r -a stat <"/proc/$1/stat"
  echo $((stat[13] + stat[14]))
}
# Complete lines in the sink file, counted incrementally (only the new bytes are read each poll).
LINES=0 COUNTED=0
count_lines() {  # $1: file
  local size
  size=$(stat -c %s "$1" 2>/dev/null || echo 0)
  [ "$size" -gt "$COUNTED" ] || return 0
  # dd reads exactly the new bytes and ends on its own: a `tail | head` pipe would end with
  # SIGPIPE, which pipefail turns into a failure.
  LINES=$((LINES + $(dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$COUNTED" \
    count=$((size - COUNTED)) status=none | tr -dc '\n' | wc -c)))
  COUNTED=$size
}

measure_weft() {  # $1: client (weft: into a file; weftkafka: into Kafka)
  local client=$1 dir=$WORK/$1 out start end deadline next_slot_check=0 reason slot sink
  mkdir -p "$dir/pipelines"
  out=$dir/out.jsonl
  LINES=0 COUNTED=0
  if [ "$client" = weftkafka ]; then
    slot=weftkafka_bench
    sink="sink:
  type: kafka
  brokers: [\"$BOOTSTRAP\"]
  topic: bench_rows
checkpoint: {interval: 200ms}"
  else
    slot=weft_bench
    sink="sink:
  type: file
  path: $out
  max_size: 0"
  fi
  write_daemon_config "$dir"
  cat >"$dir/pipelines/cdc.yaml" <<YAML
name: cdc
source:
  type: postgres_cdc
  dsn: "$DSN"
  tables: [public.bench_rows]
  slot: {name: $slot}
  publication: {name: bench_pub, autocreate: disabled}
  snapshot: {mode: never}
  envelope: debezium
$sink
YAML
  # An unknown source type (a build without postgres_cdc) or a setting it does not take is
  # reported here, before anything is timed.
  if ! "$WEFT" validate --config "$dir/weft.yaml" >"$dir/validate.log" 2>&1; then
    WEFT_ERROR="\`weft validate\` rejects the pipeline (is the postgres_cdc source in this build?): $(grep -v '^$' "$dir/validate.log" | head -n3 | tr '\n' ' ')"
    return
  fi

  start=$EPOCHREALTIME
  "$WEFT" run --config "$dir/weft.yaml" >"$dir/weft.log" 2>&1 &
  WEFT_PID=$!
  deadline=$(( ${EPOCHREALTIME%.*} + 60 + ROWS / 2000 ))
  reason=
  while [ -z "$reason" ]; do
    count_lines "$out"
    if [ "$LINES" -ge "$ROWS" ]; then
      reason="$LINES lines in the file"
    elif [ "$client" = weftkafka ] || [ "${EPOCHREALTIME%.*}" -ge "$next_slot_check" ]; then
      next_slot_check=$(( ${EPOCHREALTIME%.*} + 1 ))
      slot_done "$slot" && reason="slot confirmed up to END_LSN"
    fi
    [ -n "$reason" ] && break
    if ! running "$WEFT_PID"; then
      WEFT_ERROR="the daemon exited after $LINES lines: $(grep -m1 '\] \[\(error\|critical\)\]' "$dir/weft.log" || tail -n1 "$dir/weft.log")"
      wait "$WEFT_PID" 2>/dev/null || true
      WEFT_PID=
      return
    fi
    if [ "${EPOCHREALTIME%.*}" -gt "$deadline" ]; then
      WEFT_ERROR="no end after $((deadline - ${start%.*})) s: $LINES lines, slot at $(slot_lsn "$slot") of $END_LSN"
      return
    fi
    sleep 0.05
  done
  end=$EPOCHREALTIME
  SECS[$client]=$(elapsed "$start" "$end")
  CPU_S[$client]=$(awk -v t="$(cpu_ticks "$WEFT_PID")" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
  RSS_KB[$client]=$(awk '/^VmHWM:/ {print $2}' "/proc/$WEFT_PID/status")
  kill -TERM "$WEFT_PID" 2>/dev/null || true
  wait "$WEFT_PID" 2>/dev/null || true
  WEFT_PID=
  NOTE[$client]="stopped on: $reason"
  if [ "$client" = weft ]; then
    count_lines "$out"
    NOTE[$client]+="; $LINES lines in the file at shutdown"
    [ "$LINES" -eq "$ROWS" ] || NOTE[$client]+=" **(expected $ROWS)**"
  fi
  if grep -q '\] \[\(warning\|error\|critical\)\]' "$dir/weft.log"; then
    NOTE[$client]+="; warnings in its log: $(grep -m1 '\] \[\(warning\|error\|critical\)\]' "$dir/weft.log")"
  fi
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for client in $CLIENTS; do
  case $client in
    recvlogical) measure_recvlogical ;;
    weft | weftkafka) [ -n "$WEFT_ERROR" ] || measure_weft "$client" ;;
    *) echo "cdc.sh: unknown client '$client'" >&2; exit 1 ;;
  esac
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----
has() { [ -n "${SECS[$1]:-}" ]; }
rps() { awk -v n="$ROWS" -v s="${SECS[$1]}" 'BEGIN {printf "%.0f", n / s}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), shared" \
  "by PostgreSQL and the client under test. Load average before: $LOAD_BEFORE; after: $LOAD_AFTER."
echo "PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1) (fsync=$FSYNC, default" \
  "shared_buffers), $ROWS rows committed in $((ROWS / TXN_ROWS)) transactions of $TXN_ROWS" \
  "in ${LOAD_SECONDS} s; a row is $ROW_BYTES bytes on disk (pg_column_size) and $ROW_TEXT_BYTES" \
  "as text; $(awk -v b="$WAL_BYTES" 'BEGIN {printf "%.0f", b / 1048576}') MiB of WAL to decode" \
  "($START_LSN to $END_LSN). Every slot was created before the load; each client drains its" \
  "own once, timed from its process start."
echo
printf '| client | what it does | seconds | rows/s | CPU s client | peak RSS MB | weft / it |\n'
printf '|---|---|---|---|---|---|---|\n'
row() {  # $1: client; $2: label; $3: work
  local r=""
  if has "$1"; then
    [ "$1" = recvlogical ] && has weft &&
      r="**$(awk -v a="${SECS[$1]}" -v b="${SECS[weft]}" 'BEGIN {printf "%.2f", a / b}')**"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" "$(printf '%.3f' "${SECS[$1]}")" "$(rps "$1")" \
      "${CPU_S[$1]}" "$(mb "${RSS_KB[$1]}")" "$r"
  elif [[ " $CLIENTS " == *" $1 "* ]]; then
    printf '| %s | %s | failed | | | | |\n' "$2" "$3"
  fi
}
# shellcheck disable=SC2016  # backquotes are Markdown here
{
  row recvlogical '`pg_recvlogical` (pgoutput v1)' 'stream the slot to /dev/null, stop at END_LSN'
  row weft 'weft `postgres_cdc` -> `file`' 'stream, decode, debezium JSON line per row, checkpoints'
  row weftkafka 'weft `postgres_cdc` -> `kafka`' 'the same, each row a message confirmed by the broker'
}
echo
for client in weft weftkafka; do
  if has "$client" && has recvlogical; then
    echo "- $client / pg_recvlogical, rows/s: **$(awk -v a="${SECS[recvlogical]}" \
      -v b="${SECS[$client]}" 'BEGIN {printf "%.2f", a / b}')**"
  fi
done
for client in $CLIENTS; do
  [ -n "${NOTE[$client]:-}" ] && echo "- $client: ${NOTE[$client]}"
done
if [ -n "$WEFT_ERROR" ]; then
  echo "- weft: **not measured: $WEFT_ERROR**"
  exit 3
fi
exit "$FAILED"
