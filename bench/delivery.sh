#!/usr/bin/env bash
# The delivery middleware's cost (issue: at least 0.8x the throughput without it), measured in
# one run on the same machine:
#   bare     generate -> file with the breaker and the DLQ turned off (the floor of the stack);
#   default  the defaults every pipeline gets: retry, circuit breaker, dead-letter queue;
#   full     default + a rate limit (high enough never to bind): every layer but dedupe;
#   dedupe   full + idempotency keys (bounded by the key store, measured on its own below);
# each best of 3, the variants interleaved so drift on a noisy VM hits all alike. Then the
# idempotency store on its own (weft_bench_idempotency). Prints Markdown; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RECORDS=${RECORDS:-2000000}
RECORD_SIZE=${RECORD_SIZE:-100}
cmake --preset release >/dev/null
cmake --build --preset release --target weft weft_bench_idempotency >/dev/null
WEFT=$PWD/build/release/src/cli/weft
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null || true' EXIT

port() { sed -n 's/.*admin server listening on [^ ]*:\([0-9]*\).*/\1/p' "$1" | head -n1; }
now_ns() { date +%s%N; }

declare -A EXTRA=(
  [bare]="circuit_breaker: {enabled: false}
dlq: {enabled: false}"
  [default]=""
  [full]="rate_limit: {per_second: 1000000000, burst: 100000000}"
  [dedupe]="rate_limit: {per_second: 1000000000, burst: 100000000}
idempotency: {key: \"{key}\"}"
)
declare -A BEST=([bare]=0 [default]=0 [full]=0 [dedupe]=0)

run_once() {  # $1: variant; prints records per second
  local variant=$1
  rm -rf "$WORK/run" && mkdir -p "$WORK/run/config" "$WORK/run/pipelines"
  printf 'state: {path: ../data/weft.db}\nadmin: {listen: "127.0.0.1:0"}\npipelines: {dir: ../pipelines}\n' \
    >"$WORK/run/config/weft.yaml"
  cat >"$WORK/run/pipelines/bench.yaml" <<YAML
name: bench
source: {type: generate, rate: 0, count: $RECORDS, record_size: $RECORD_SIZE}
sink: {type: file, path: $WORK/run/out/bench.jsonl, max_size: 0}
batch: {max_records: 10000}
checkpoint: {interval: 1s}
${EXTRA[$variant]}
YAML
  local start end p lines
  start=$(now_ns)
  "$WEFT" run --config "$WORK/run/config/weft.yaml" 2>"$WORK/run/weft.log" &
  PID=$!
  # The pipeline logs this line once the source is done and every record is acknowledged;
  # waiting on it costs no CPU, where polling /api with curl took a share from the daemon.
  await_line "$WORK/run/weft.log" 'event=pipeline.stopped' "$PID" || {
    echo "weft exited:" >&2; cat "$WORK/run/weft.log" >&2; exit 1; }
  end=$(now_ns)
  p=$(port "$WORK/run/weft.log")
  curl -fs "http://127.0.0.1:$p/api/pipelines/bench" | grep -q '"state":"finished"' || {
    echo "the pipeline stopped without finishing:" >&2; cat "$WORK/run/weft.log" >&2; exit 1; }
  kill -TERM $PID; wait $PID || true; PID=
  lines=$(wc -l <"$WORK/run/out/bench.jsonl")
  [ "$lines" -eq "$RECORDS" ] || { echo "$variant: expected $RECORDS lines, got $lines" >&2; exit 1; }
  echo $(( RECORDS * 1000000000 / (end - start) ))
}

for _ in 1 2 3; do
  for variant in bare default full dedupe; do
    rps=$(run_once "$variant")
    [ "$rps" -gt "${BEST[$variant]}" ] && BEST[$variant]=$rps
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
printf '| generate -> file, %s x %s-byte records (best of 3) | rec/s | vs bare |\n|---|---|---|\n' \
  "$RECORDS" "$RECORD_SIZE"
printf '| bare (breaker and DLQ off) | %s | 1.00 |\n' "${BEST[bare]}"
printf '| default (retry, breaker, DLQ) | %s | %s |\n' "${BEST[default]}" "$(ratio "${BEST[default]}" "${BEST[bare]}")"
printf '| full (default + rate limit) | %s | %s |\n' "${BEST[full]}" "$(ratio "${BEST[full]}" "${BEST[bare]}")"
printf '| dedupe (full + idempotency keys) | %s | %s |\n' "${BEST[dedupe]}" "$(ratio "${BEST[dedupe]}" "${BEST[bare]}")"
echo
./build/release/bench/weft_bench_idempotency 2>/dev/null
