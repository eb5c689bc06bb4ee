#!/usr/bin/env bash
# The `kafka` sink against kcat, producing the same records to the same broker in one run on one
# machine (CONVENTIONS.md: the ratio is what counts). Issue target: weft at least 0.7x kcat.
#
# The broker is weft-fake-kafka (tests/fakes/kafka: librdkafka's mock cluster in a process of
# its own, one broker, on loopback), the broker the tests use; every round produces to a fresh
# topic of PARTITIONS (8) partitions. The mock keeps only 5 MiB a partition, dropping older
# data like retention: rates are measured from delivery reports, which come back for every
# message whatever is kept.
#
# The records: RECORDS (1,000,000) messages keyed by their number, each value the 100-byte JSON
# of weft's `generate` source ({"id":N,"message":"hello from weft","pad":"xx..."}).
#   kcat  `kcat -P -K TAB -z lz4 -X enable.idempotence=true -X linger.ms=1` reading a file of
#         "N<TAB>value" lines written before the clock starts (from /dev/shm): librdkafka with
#         the settings weft's sink uses; kcat exits once every message has its delivery report.
#         Wall, CPU and max RSS from GNU time.
#   weft  a daemon with one pipeline: `generate` (rate 0, count RECORDS, record_size 100) ->
#         `kafka` sink with its defaults (idempotent, lz4, linger 1ms, as many batches in
#         flight as hold 16,000 records), and weft's default batch of 1,000 records;
#         timed from process start until it logs that the pipeline stopped (the last record's
#         delivery report, then the final checkpoint; /api/pipelines/bench, checked afterwards,
#         then says `finished`: polling it during the run took CPU from weft). CPU (utime +
#         stime) from /proc just before it is stopped; RSS is its VmHWM. Its figures include
#         generating the records and running the pipeline, which kcat's reading of a file does
#         not cost.
# The broker's own CPU is shown per round: on two cores it competes with the client.
# Best of ROUNDS (3) rounds per client, alternating. Prints Markdown; not part of CI;
# docs/benchmarks.md records a run.
#   QUICK=1 ./bench/kafka.sh      a smoke run: 100,000 records, one round
#   WEFT=path/to/weft             run that binary instead of building build/release's
#   BATCH=10000                   weft's batch.max_records (default 1000, weft's own default)
#   SINK_EXTRA='linger: 5ms'      more settings for weft's kafka sink (YAML flow mapping entries)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then
  RECORDS=${RECORDS:-100000}
  ROUNDS=${ROUNDS:-1}
fi
RECORDS=${RECORDS:-1000000}
ROUNDS=${ROUNDS:-3}
PARTITIONS=${PARTITIONS:-8}
WORKERS=${WORKERS:-2}

# ---- what the benchmark needs, installed only if missing ----
./scripts/install-packages.sh kcat time procps curl
if [ -z "${WEFT:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target weft >/dev/null
  WEFT=$PWD/build/release/src/cli/weft
fi
WORK=$(mktemp -d /dev/shm/weft-bench-kafka.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  exec {BROKER_IN}>&- 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

# ---- the broker ----
start_fake_kafka "$WORK"
PIDS+=("$BROKER")
broker_ticks() { awk '{print $14 + $15}' "/proc/$BROKER/stat"; }

# ---- kcat's input: the values weft's generate source renders (generate_source.cc) ----
awk -v n="$RECORDS" 'BEGIN {
  for (i = 1; i <= n; i++) {
    v = "{\"id\":" i ",\"message\":\"hello from weft\",\"pad\":\""
    pad = 100 - length(v) - 2
    s = sprintf("%" pad "s", ""); gsub(/ /, "x", s)
    printf "%d\t%s\"}\n", i, v s
  }
}' >"$WORK/records.tsv"
VALUE_BYTES=$((RECORDS * 100))

run_kcat() {  # $1: topic; sets WALL CPU RSS
  local t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -f "$TIME_FORMAT" -o "$WORK/kcat.time" \
    kcat -P -b "$BOOTSTRAP" -t "$1" -K $'\t' -z lz4 -X enable.idempotence=true -X linger.ms=1 \
    -X client.id=kcat <"$WORK/records.tsv" 2>"$WORK/kcat.err" || {
    echo "kcat failed:" >&2; cat "$WORK/kcat.err" >&2; exit 1; }
  t1=$EPOCHREALTIME
  if grep -q "Delivery failed\|ERROR" "$WORK/kcat.err"; then
    echo "kcat reported failures:" >&2; head "$WORK/kcat.err" >&2; exit 1
  fi
  time_ticks "$WORK/kcat.time"
  WALL=$(elapsed "$t0" "$t1")
  CPU=$(ticks_to_s "$TICKS")
  RSS=$((MAXRSS / 1024))
}

run_weft() {  # $1: topic; sets WALL CPU RSS
  local dir=$WORK/weft-$1 t0 t1 pid port stat
  mkdir -p "$dir/pipelines"
  write_daemon_config "$dir" info
  cat >"$dir/pipelines/bench.yaml" <<YAML
name: bench
source: {type: generate, rate: 0, count: $RECORDS, record_size: 100}
sink: {type: kafka, brokers: ["$BOOTSTRAP"], topic: $1${SINK_EXTRA:+, $SINK_EXTRA}}
batch: {max_records: ${BATCH:-1000}}
YAML
  t0=$EPOCHREALTIME
  "$WEFT" run --config "$dir/weft.yaml" 2>"$dir/weft.log" &
  pid=$!
  PIDS+=("$pid")
  # The pipeline logs this line once its source is done and every record is acknowledged: the
  # same moment /api/pipelines/bench turns `finished`.
  await_line "$dir/weft.log" 'event=pipeline.stopped' "$pid" || {
    echo "weft exited:" >&2; cat "$dir/weft.log" >&2; exit 1; }
  t1=$EPOCHREALTIME
  port=$(sed -n 's/.*admin server listening on [^ ]*:\([0-9]*\).*/\1/p' "$dir/weft.log" | head -n1)
  read -r -a stat <"/proc/$pid/stat"
  RSS=$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
  local out
  out=$(curl -fs "http://127.0.0.1:$port/api/pipelines/bench")
  stop_pid "$pid"
  forget_pid "$pid"
  echo "$out" | grep -q '"state":"finished"' && echo "$out" | grep -q "\"out\":$RECORDS" || {
    echo "weft did not deliver $RECORDS records: $out" >&2; exit 1; }
  WALL=$(elapsed "$t0" "$t1")
  CPU=$(ticks_to_s $((stat[13] + stat[14])))
}

best_kcat=999999 best_weft=999999
rows=()
for round in $(seq 1 "$ROUNDS"); do
  for client in kcat weft; do
    topic=bench-$client-$round
    broker topic "$topic" "$PARTITIONS"
    b0=$(broker_ticks)
    "run_$client" "$topic"
    broker_cpu=$(ticks_to_s $(($(broker_ticks) - b0)))
    rate=$(awk -v n="$RECORDS" -v w="$WALL" 'BEGIN {printf "%d", n / w}')
    rows+=("| $client | $round | $WALL | $(printf "%'d" "$rate") | $(awk -v b="$VALUE_BYTES" -v w="$WALL" 'BEGIN {printf "%.1f", b / w / 1e6}') | $CPU | $broker_cpu | $RSS |")
    if [ "$client" = kcat ]; then
      best_kcat=$(awk -v a="$best_kcat" -v b="$WALL" 'BEGIN {print (b < a) ? b : a}')
    else
      best_weft=$(awk -v a="$best_weft" -v b="$WALL" 'BEGIN {print (b < a) ? b : a}')
    fi
  done
done

echo "kafka sink: $RECORDS x 100-byte records into weft-fake-kafka ($PARTITIONS partitions)"
echo
echo "| client | round | seconds | records/s | value MB/s | CPU s client | CPU s broker | max RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
awk -v k="$best_kcat" -v w="$best_weft" -v n="$RECORDS" 'BEGIN {
  printf "best of each: kcat %d records/s, weft %d records/s: **weft / kcat = %.2f** (target 0.7)\n",
    n / k, n / w, k / w }'
