#!/usr/bin/env bash
# The `warehouse` sink loading PostgreSQL, against PostgreSQL doing the same work alone, in one
# run on one machine (CONVENTIONS.md: the ratio is what counts):
#   1. a throwaway PostgreSQL 15 cluster (bench/lib.sh), fsync on unless FSYNC=off;
#   2. two identical target tables, t_psql and t_weft (id bigint PRIMARY KEY, name, email,
#      amount double precision, updated_at timestamptz, _loaded_at), each holding EXISTING rows
#      (100,000: ids 1..EXISTING) before the measurement;
#   3. one CSV file of ROWS rows (1,000,000, about 80 bytes each): every tenth row updates an
#      existing id (name `updated-N`), the rest are new ids: 10% updates;
#   4. the database alone: one psql session, timed: BEGIN; a temp staging table; `\copy` of
#      the file into it; the MERGE weft generates for this table (latest row per key, update
#      only when a value differs, insert the rest); COMMIT;
#   5. weft: a daemon with one pipeline `files` (the same CSV) -> `warehouse` (postgres, merge
#      by id, batch.max_records BATCH_ROWS with max_wait 2s, buffer.batches BUFFER_BATCHES), timed
#      from process start until
#      t_weft holds every row and every update, polled with psql every 0.2 s;
#   6. both tables are compared row for row (except _loaded_at) after the run.
#   Each timed load starts right after a CHECKPOINT: no dirty pages of the other left to write.
# Prints Markdown; not part of CI; docs/benchmarks.md records a run.
#   QUICK=1 ./bench/warehouse.sh   a smoke run: 100,000 rows
#   ROWS=1000000 EXISTING=100000  WORKERS=2  FSYNC=off  WEFT=path/to/weft  KEEP=1
#   BUFFER_BATCHES=4              the pipeline's buffer.batches
#   BATCH_ROWS=100000             the pipeline's batch.max_records
# Exit status: 0 when both loads produced the same table; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then ROWS=${ROWS:-100000}; fi
ROWS=${ROWS:-1000000}
EXISTING=${EXISTING:-$((ROWS / 10))}
WORKERS=${WORKERS:-2}
BUFFER_BATCHES=${BUFFER_BATCHES:-4}
BATCH_ROWS=${BATCH_ROWS:-100000}

./scripts/install-packages.sh postgresql-15 postgresql-client-15 procps curl

WORK=$(mktemp -d)
PGDIR=$WORK/pg
WEFT_PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  if [ -n "$WEFT_PID" ]; then
    kill -TERM "$WEFT_PID" 2>/dev/null || true
    wait "$WEFT_PID" 2>/dev/null || true
  fi
  stop_pg_cluster "$PGDIR"
  if [ -n "${KEEP:-}" ]; then echo "warehouse.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- weft, built before anything is timed ----
if [ -z "${WEFT:-}" ]; then
  { [ -f build/release/build.ninja ] || cmake --preset release >"$WORK/build.log" 2>&1; } &&
    cmake --build --preset release --target weft >>"$WORK/build.log" 2>&1 ||
    { echo "warehouse.sh: the release build failed; see $WORK/build.log" >&2; KEEP=1; exit 1; }
  WEFT=$PWD/build/release/src/cli/weft
fi

start_pg_cluster "$PGDIR"
sql "CREATE DATABASE bench" postgres
for t in t_psql t_weft; do
  sql "CREATE TABLE $t (id bigint PRIMARY KEY, name text, email text, amount double precision,
                        updated_at timestamptz, _loaded_at timestamptz NOT NULL)"
  sql "INSERT INTO $t SELECT g, 'orig-' || g, 'user' || g || '@example.com', g % 1000,
         '2026-01-01T00:00:00Z', now() FROM generate_series(1, $EXISTING) g"
done
sql "VACUUM ANALYZE"

# ---- the input: every tenth row updates an existing id ----
mkdir -p "$WORK/in"
CSV=$WORK/in/rows.csv
awk -v rows="$ROWS" -v existing="$EXISTING" 'BEGIN {
  print "id,name,email,amount,updated_at"
  next_new = existing + 1; next_old = 1
  for (i = 1; i <= rows; i++) {
    if (i % 10 == 0 && next_old <= existing) { id = next_old++; name = "updated-" id }
    else { id = next_new++; name = "new-" id }
    printf "%d,%s,user%d@example.com,%d.%02d,2026-11-%02dT10:%02d:%02dZ\n", id, name, id,
           id % 5000, id % 100, 1 + id % 28, id % 60, (id * 7) % 60
  }
}' >"$CSV"
INPUT_BYTES=$(stat -c %s "$CSV")
UPDATES=$(awk -F, 'NR > 1 && $2 ~ /^updated-/' "$CSV" | wc -l)
TOTAL=$((EXISTING + ROWS - UPDATES))

# ---- (a) PostgreSQL alone: \copy into staging + the same MERGE ----
MERGE_SQL='MERGE INTO "t_psql" AS t USING (SELECT * FROM (SELECT *, ROW_NUMBER() OVER
  (PARTITION BY "id" ORDER BY "_weft_seq" DESC) AS "_weft_rank" FROM "weft_staging") AS
  "_weft_ranked" WHERE "_weft_rank" = 1) AS "_weft_src" ON t."id" = "_weft_src"."id"
  WHEN MATCHED AND "_weft_src"."_weft_op" <> '"'delete'"' AND (t."name" IS DISTINCT FROM
  "_weft_src"."name" OR t."email" IS DISTINCT FROM "_weft_src"."email" OR t."amount" IS DISTINCT
  FROM "_weft_src"."amount" OR t."updated_at" IS DISTINCT FROM "_weft_src"."updated_at") THEN
  UPDATE SET "name" = "_weft_src"."name", "email" = "_weft_src"."email", "amount" =
  "_weft_src"."amount", "updated_at" = "_weft_src"."updated_at", "_loaded_at" = now()
  WHEN NOT MATCHED AND "_weft_src"."_weft_op" <> '"'delete'"' THEN INSERT ("id", "name",
  "email", "amount", "updated_at", "_loaded_at") VALUES ("_weft_src"."id", "_weft_src"."name",
  "_weft_src"."email", "_weft_src"."amount", "_weft_src"."updated_at", now())'
cat >"$WORK/psql.sql" <<SQL
BEGIN;
CREATE TEMP TABLE weft_staging (id bigint, name text, email text, amount double precision,
  updated_at timestamptz, _weft_op text NOT NULL DEFAULT 'upsert',
  _weft_seq bigserial) ON COMMIT DROP;
\\copy weft_staging (id, name, email, amount, updated_at) FROM '$CSV' WITH (FORMAT csv, HEADER)
$MERGE_SQL;
COMMIT;
SQL
# Each load starts from a clean buffer cache: no dirty pages left for it to write out.
sql "CHECKPOINT"
start=$EPOCHREALTIME
"$PSQL" "host=127.0.0.1 port=$PORT user=postgres dbname=bench" -X -q -v ON_ERROR_STOP=1 \
  -f "$WORK/psql.sql" >"$WORK/psql.log" 2>&1
PSQL_SECS=$(elapsed "$start" "$EPOCHREALTIME")

# ---- (b) weft ----
dir=$WORK/weft
mkdir -p "$dir/pipelines"
write_daemon_config "$dir"
cat >"$dir/pipelines/load.yaml" <<YAML
name: load
source:
  type: files
  url: file://$WORK/in
  format: csv
sink:
  type: warehouse
  dialect: postgres
  dsn: "host=127.0.0.1 port=$PORT user=postgres dbname=bench"
  table: t_weft
  write_mode: merge
  primary_key: [id]
batch: {max_records: $BATCH_ROWS, max_wait: 2s}
buffer: {batches: $BUFFER_BATCHES}
YAML
"$WEFT" validate --config "$dir/weft.yaml" >"$dir/validate.log" 2>&1 ||
  { echo "warehouse.sh: weft validate failed:" >&2; cat "$dir/validate.log" >&2; exit 1; }
cpu_ticks() {  # $1: pid; utime + stime in clock ticks
  local stat
  read -r -a stat <"/proc/$1/stat"
  echo $((stat[13] + stat[14]))
}
done_sql="SELECT count(*) = $TOTAL AND count(*) FILTER (WHERE name LIKE 'updated-%') = $UPDATES
          FROM t_weft"
sql "CHECKPOINT"  # the psql load's dirty pages, written out before weft's clock starts
start=$EPOCHREALTIME
"$WEFT" run --config "$dir/weft.yaml" >"$dir/weft.log" 2>&1 &
WEFT_PID=$!
deadline=$(( ${EPOCHREALTIME%.*} + 120 + ROWS / 5000 ))
until [ "$(sql "$done_sql")" = t ]; do
  running "$WEFT_PID" ||
    { echo "warehouse.sh: weft exited:" >&2; tail -n 20 "$dir/weft.log" >&2; exit 1; }
  [ "${EPOCHREALTIME%.*}" -lt "$deadline" ] ||
    { echo "warehouse.sh: weft did not finish; its log:" >&2; tail -n 20 "$dir/weft.log" >&2; exit 1; }
  nap 0.2
done
WEFT_SECS=$(elapsed "$start" "$EPOCHREALTIME")
# Where weft's time went: inside the load transactions (staging, COPY, apply) and outside.
ADMIN=$(grep -o -m1 'admin server listening on [0-9.:]*' "$dir/weft.log" | awk '{print $NF}')
METRICS=$(curl -s "http://$ADMIN/metrics")
BATCH_SECS=$(awk '/^weft_warehouse_batch_seconds_sum/ {printf "%.2f", $2}' <<<"$METRICS")
BATCHES=$(awk '/^weft_warehouse_batch_seconds_count/ {print $2}' <<<"$METRICS")
WEFT_CPU=$(ticks_to_s "$(cpu_ticks "$WEFT_PID")")
WEFT_RSS=$(awk '/^VmHWM:/ {print $2}' "/proc/$WEFT_PID/status")
stop_pid "$WEFT_PID"
WEFT_PID=

# ---- the same table? ----
DIFF=$(sql "SELECT count(*) FROM (
  (SELECT id, name, email, amount, updated_at FROM t_psql EXCEPT
   SELECT id, name, email, amount, updated_at FROM t_weft) UNION ALL
  (SELECT id, name, email, amount, updated_at FROM t_weft EXCEPT
   SELECT id, name, email, amount, updated_at FROM t_psql)) d")

rate() { awk -v n="$ROWS" -v s="$1" 'BEGIN {printf "%\047d", n / s}'; }
echo "PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1) (fsync=${FSYNC:-on}), $(nproc) CPUs," \
  "$ROWS input rows ($((INPUT_BYTES / 1000000)) MB CSV; $UPDATES updates of $EXISTING existing rows)"
echo
echo "| load | seconds | rows/s | ratio |"
echo "|---|---|---|---|"
echo "| psql \\copy + MERGE (one transaction) | $PSQL_SECS | $(rate "$PSQL_SECS") | 1.00 |"
echo "| weft files -> warehouse (merge) | $WEFT_SECS | $(rate "$WEFT_SECS") |" \
  "$(awk -v a="$PSQL_SECS" -v b="$WEFT_SECS" 'BEGIN {printf "%.2f", a / b}') |"
echo
echo "weft: ${WEFT_CPU} CPU-s, peak RSS $((WEFT_RSS / 1024)) MB, $BATCHES loads taking" \
  "${BATCH_SECS} s in all; rows differing between the two tables: $DIFF"
[ "$DIFF" -eq 0 ]
