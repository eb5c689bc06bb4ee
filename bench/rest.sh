#!/usr/bin/env bash
# The `rest` source paging through an API (issue: at least 5x the records/s of the usual Python
# loop, and at least 0.8x the raw sequential GET rate of the same pages), measured in one run on
# one machine. The API is the fake one of the tests (weft-fake-rest, one thread, on 127.0.0.1,
# started afresh for every measurement): RECORDS records (default 1,000,000) of about 230 bytes
# of JSON, read PAGE_SIZE (100) a page from its cursor endpoint (`/cursor/items?limit=100&
# cursor=...`, body {"items":[...],"next_cursor":...}), i.e. 10,000 pages one after another.
# Each client is timed from its process start until it has everything:
#   raw     the physical limit: bench/rest/sequential_get.cc (built here with g++), one
#           keep-alive connection, one request at a time, bodies read and thrown away unparsed.
#           It follows the same cursors, from the X-Next-Cursor header the fake also sends, so
#           it fetches exactly the pages the others fetch;
#   curl    a plain HTTP client for comparison: one curl process, one keep-alive connection,
#           the same number of pages by page number (`/pages/items?page=N&page_size=100`: the
#           same records, a body of the same size; a cursor needs the previous body, which curl
#           cannot follow), to /dev/null;
#   python  the usual loop (bench/rest/requests_loop.py): requests.Session (keep-alive),
#           follow next_cursor, parse each page, write each record as a JSON line to a file;
#           Debian's python3 and python3-requests;
#   weft    a daemon with one pipeline: `rest` source (cursor paginator, `schedule: {once:
#           true}`) -> `file` sink (JSON lines, fsync at each checkpoint), default batch and
#           checkpoint settings. The clock stops when /api/pipelines/rest says `finished` (polled
#           every 10 ms from bash, without forking a process per poll), so start-up, the
#           final fsync and the final checkpoint are included; peak RSS is the daemon's VmHWM.
# python's and weft's files must hold exactly RECORDS lines with every "number" from 1 to
# RECORDS once. CPU seconds are user + system of the client and of the fake API during the
# measurement. Best of ROUNDS rounds, clients interleaved so that drift on a noisy VM hits all
# alike. By default the fake does not compress (`--no-gzip`: on loopback gzip only costs CPU);
# GZIP=1 makes it gzip for the clients that ask (weft and requests always do, curl gets
# --compressed, the raw client asks and does not inflate).
# Prints Markdown; docs/benchmarks.md records a run. Not part of CI.
#   QUICK=1 ./bench/rest.sh          a smoke run: 20,000 records (200 pages), one round
#   RECORDS=1000000 PAGE_SIZE=100    records served, records per page
#   ROUNDS=3                         rounds (each client's best is kept)
#   CLIENTS="raw python weft"        leave clients out (the ratios need weft)
#   GZIP=1                           the fake gzips its answers
#   FAKE_THREADS=1                   the fake API's threads
#   LATENCY_MS=0                     the fake answers each page that much later (an API that is
#                                    not on loopback; every client waits the same)
#   WORKERS=2                        weft's `workers`
#   BUILD_DIR=build/release-tests    where weft-fake-rest is built (a release tree with the test
#                                    targets, which the `release` preset leaves out); weft is
#                                    build/release's
#   WEFT=path FAKE_REST=path         run those binaries instead of building them
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then
  RECORDS=${RECORDS:-20000} ROUNDS=${ROUNDS:-1}
fi
RECORDS=${RECORDS:-1000000}
PAGE_SIZE=${PAGE_SIZE:-100}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-raw curl python weft}
GZIP=${GZIP:-0}
FAKE_THREADS=${FAKE_THREADS:-1}
LATENCY_MS=${LATENCY_MS:-0}
WORKERS=${WORKERS:-2}
BUILD_DIR=${BUILD_DIR:-build/release-tests}
# Debian's interpreter: python3-requests is installed for it, and a python3 found first on PATH
# (pyenv, a virtualenv) would not see it.
PYTHON=${PYTHON:-/usr/bin/python3}
PAGES=$(( (RECORDS + PAGE_SIZE - 1) / PAGE_SIZE ))

# ---- what the benchmark needs, installed only if missing ----
./scripts/install-packages.sh python3-requests g++ curl time procps

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# weft from build/release, as the other benchmarks; the fake API is a test target, which the
# release preset leaves out, so it gets a release tree of its own. WEFT=... FAKE_REST=... run
# those binaries instead of building them.
build() {
  if [ -z "${WEFT:-}" ]; then
    [ -f build/release/build.ninja ] || cmake --preset release >/dev/null
    cmake --build --preset release --target weft >/dev/null
    WEFT=$PWD/build/release/src/cli/weft
  fi
  if [ -z "${FAKE_REST:-}" ]; then
    [ -f "$BUILD_DIR/build.ninja" ] ||
      cmake --preset release -B "$BUILD_DIR" -DWEFT_BUILD_TESTS=ON >/dev/null
    cmake --build "$BUILD_DIR" --target weft-fake-rest >/dev/null
    FAKE_REST=$PWD/$BUILD_DIR/tests/fakes/weft-fake-rest
  fi
}
build
SEQUENTIAL_GET=$WORK/sequential_get
g++ -O2 -std=c++20 -o "$SEQUENTIAL_GET" bench/rest/sequential_get.cc

# ---- the fake API: start_fake sets FAKE_PID, FAKE_PORT and BASE ----
start_fake() {  # $1: directory for its output
  local args=(--listen 127.0.0.1:0 --records "$RECORDS" --threads "$FAKE_THREADS")
  [ "$GZIP" = 1 ] || args+=(--no-gzip)
  "$FAKE_REST" "${args[@]}" >"$1/fake.out" 2>"$1/fake.err" &
  FAKE_PID=$!
  PIDS+=("$FAKE_PID")
  FAKE_PORT=
  for _ in $(seq 1 300); do
    FAKE_PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$1/fake.out")
    [ -n "$FAKE_PORT" ] && break
    alive "$FAKE_PID" || break
    sleep 0.05
  done
  if [ -z "$FAKE_PORT" ]; then
    echo "rest.sh: weft-fake-rest did not start; its log:" >&2
    tail -n 20 "$1/fake.err" >&2
    exit 1
  fi
  BASE=http://127.0.0.1:$FAKE_PORT
  # An API slower than loopback: each data request waits LATENCY_MS (a timer, not a thread).
  if [ "$LATENCY_MS" -gt 0 ]; then
    curl -fsS -X POST -H 'Content-Type: application/json' \
      -d "{\"delay_ms\":$LATENCY_MS,\"count\":$PAGES}" "$BASE/_admin/faults" >/dev/null
  fi
}
stop_fake() {
  stop_pid "$FAKE_PID"
  forget_pid "$FAKE_PID"
}

# CPU seconds (user + system) a live process has used so far, from /proc without forking.
cpu_seconds() {  # $1: pid; sets CPU
  local stat
  read -r -a stat <"/proc/$1/stat"
  # Fields 14 and 15 (utime, stime), in clock ticks; the name in field 2 has no spaces here.
  CPU=$(( stat[13] + stat[14] ))
}

# Every record exactly once: RECORDS lines, each "number" 1..RECORDS, none twice.
check_records() {  # $1: file; prints "ok" or what is wrong
  awk -v want="$RECORDS" '
    match($0, /"number": ?[0-9]+/) {
      n = substr($0, RSTART, RLENGTH); sub(/^"number": ?/, "", n); n += 0
      if (n in seen) dup++; else { seen[n] = 1; unique++ }
      if (n < 1 || n > want) out++
      next
    }
    { without++ }
    END {
      if (NR == want && unique == want && dup + out + without == 0) print "ok"
      else printf "%d lines, %d distinct numbers, %d repeated, %d out of range, %d without a number\n",
                  NR, unique, dup, out, without
    }' "$1"
}

declare -A SECONDS_BEST CPU_CLIENT CPU_FAKE RSS_KB BYTES FAULTS
# Keeps the fastest round of a client with its CPU and RSS figures.
keep() {  # $1: client; $2: seconds; $3: client CPU ticks; $4: fake CPU ticks; $5: RSS kB
  local best=${SECONDS_BEST[$1]:-}
  if [ -z "$best" ] || awk -v a="$2" -v b="$best" 'BEGIN {exit !(a < b)}'; then
    SECONDS_BEST[$1]=$2 CPU_CLIENT[$1]=$3 CPU_FAKE[$1]=$4 RSS_KB[$1]=$5
  fi
}


measure_raw() {
  local dir=$1 start end fake_before out=$1/raw.out
  local gzip=()
  [ "$GZIP" = 1 ] && gzip=(--gzip)
  cpu_seconds "$FAKE_PID"; fake_before=$CPU
  start=$EPOCHREALTIME
  /usr/bin/time -f "$TIME_FORMAT" -o "$dir/raw.time" "$SEQUENTIAL_GET" --port "$FAKE_PORT" \
    --target "/cursor/items?limit=$PAGE_SIZE" --follow X-Next-Cursor cursor "${gzip[@]}" >"$out"
  end=$EPOCHREALTIME
  cpu_seconds "$FAKE_PID"
  time_ticks "$dir/raw.time"
  local requests ok
  requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$out")
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$out")
  BYTES[raw]=$(sed -n 's/.*body_bytes=\([0-9]*\).*/\1/p' "$out")
  if [ "$requests" != "$PAGES" ] || [ "$ok" != "$PAGES" ]; then
    FAULTS[raw]+=" **$requests requests, $ok of them 2xx, for $PAGES pages**;"
  fi
  keep raw "$(elapsed "$start" "$end")" "$TICKS" $((CPU - fake_before)) "$MAXRSS"
}

measure_curl() {
  local dir=$1 start end fake_before config=$1/curl.cfg
  local compressed=()
  [ "$GZIP" = 1 ] && compressed=(--compressed)
  awk -v base="$BASE" -v pages="$PAGES" -v size="$PAGE_SIZE" 'BEGIN {
    for (i = 1; i <= pages; i++)
      printf "url = \"%s/pages/items?page=%d&page_size=%d\"\noutput = \"/dev/null\"\n", base, i, size
  }' >"$config"
  cpu_seconds "$FAKE_PID"; fake_before=$CPU
  start=$EPOCHREALTIME
  /usr/bin/time -f "$TIME_FORMAT" -o "$dir/curl.time" curl -s "${compressed[@]}" -K "$config" \
    -w '%{http_code} %{num_connects} %{size_download}\n' >"$dir/curl.out"
  end=$EPOCHREALTIME
  cpu_seconds "$FAKE_PID"
  time_ticks "$dir/curl.time"
  local summary n ok connects bytes
  summary=$(awk '{n++; if ($1 == 200) ok++; c += $2; b += $3} END {printf "%d %d %d %d", n, ok, c, b}' \
    "$dir/curl.out")
  read -r n ok connects bytes <<<"$summary"
  BYTES[curl]=$bytes
  if [ "$n" != "$PAGES" ] || [ "$ok" != "$PAGES" ] || [ "$connects" != 1 ]; then
    FAULTS[curl]+=" **$n transfers, $ok of them 200, over $connects connections**;"
  fi
  keep curl "$(elapsed "$start" "$end")" "$TICKS" $((CPU - fake_before)) "$MAXRSS"
}

measure_python() {
  local dir=$1 start end fake_before out=$1/python.jsonl
  cpu_seconds "$FAKE_PID"; fake_before=$CPU
  start=$EPOCHREALTIME
  /usr/bin/time -f "$TIME_FORMAT" -o "$dir/python.time" "$PYTHON" bench/rest/requests_loop.py \
    "$BASE/cursor/items" "$out" "$PAGE_SIZE" >"$dir/python.out"
  end=$EPOCHREALTIME
  cpu_seconds "$FAKE_PID"
  time_ticks "$dir/python.time"
  local check
  check=$(check_records "$out")
  [ "$check" = ok ] || FAULTS[python]+=" **its file: $check**;"
  rm -f "$out"
  keep python "$(elapsed "$start" "$end")" "$TICKS" $((CPU - fake_before)) "$MAXRSS"
}

# The pipeline's state, asked of the admin API over bash's /dev/tcp: no process forked per poll.
pipeline_state() {  # $1: admin port; sets STATE (empty if it did not answer)
  local fd body=
  STATE=
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
  printf 'GET /api/pipelines/rest HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&"$fd"
  read -r -d '' -u "$fd" body || true
  exec {fd}>&-
  # The pipeline's own state: the circuit breaker's (closed, half_open, open) has a "state" too.
  if [[ $body == *'"state":"finished"'* ]]; then
    STATE=finished
  elif [[ $body == *'"state":"failed"'* ]]; then
    STATE=failed
  elif [ -n "$body" ]; then
    STATE=running
  fi
}

measure_weft() {
  local dir=$1 start end fake_before pid admin="" sink
  mkdir -p "$dir/pipelines"
  sink=$dir/out/rest.jsonl
  write_daemon_config "$dir"
  cat >"$dir/pipelines/rest.yaml" <<YAML
name: rest
source:
  type: rest
  url: $BASE/cursor/items
  records: \$.items
  primary_key: \$.number
  paginator: {type: cursor, cursor_path: \$.next_cursor, page_size: $PAGE_SIZE}
  schedule: {once: true}
sink:
  type: file
  path: $sink
  max_size: 0
YAML
  cpu_seconds "$FAKE_PID"; fake_before=$CPU
  start=$EPOCHREALTIME
  "$WEFT" run --config "$dir/weft.yaml" >"$dir/weft.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  local deadline=$(( ${EPOCHREALTIME%.*} + 60 + RECORDS / 1000 ))
  local listening='admin server listening on [^ ]*:([0-9]+)'
  STATE=
  while [ "$STATE" != finished ]; do
    if [ -z "$admin" ] && [ -f "$dir/weft.log" ] && [[ "$(<"$dir/weft.log")" =~ $listening ]]; then
      admin=${BASH_REMATCH[1]}
    fi
    [ -n "$admin" ] && pipeline_state "$admin"
    if [ "$STATE" = failed ] || ! running "$pid" || [ "${EPOCHREALTIME%.*}" -gt "$deadline" ]; then
      echo "rest.sh: weft's pipeline did not finish (${STATE:-no answer from its admin API}); its log:" >&2
      tail -n 20 "$dir/weft.log" >&2
      exit 1
    fi
    [ "$STATE" = finished ] || nap 0.01
  done
  end=$EPOCHREALTIME
  cpu_seconds "$FAKE_PID"
  local fake_ticks=$((CPU - fake_before)) rss
  cpu_seconds "$pid"
  rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  stop_pid "$pid"
  forget_pid "$pid"
  local check
  check=$(check_records "$sink")
  [ "$check" = ok ] || FAULTS[weft]+=" **its file: $check**;"
  if grep -q '\] \[\(warning\|error\|critical\)\]' "$dir/weft.log"; then
    FAULTS[weft]+=" warnings in its log: $(grep -m1 '\] \[\(warning\|error\|critical\)\]' "$dir/weft.log");"
  fi
  keep weft "$(elapsed "$start" "$end")" "$CPU" "$fake_ticks" "$rss"
}

# One round of one client against a fake API of its own.
measure() {  # $1: client
  local dir=$WORK/$1
  mkdir -p "$dir"
  start_fake "$dir"
  "measure_$1" "$dir"
  stop_fake
  rm -rf "$dir"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 1 "$ROUNDS"); do
  for client in $CLIENTS; do measure "$client"; done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----
has() { [ -n "${SECONDS_BEST[$1]:-}" ]; }
rps() { awk -v n="$RECORDS" -v s="${SECONDS_BEST[$1]}" 'BEGIN {printf "%.0f", n / s}'; }
ratio() { awk -v a="${SECONDS_BEST[$2]}" -v b="${SECONDS_BEST[$1]}" 'BEGIN {printf "%.2f", a / b}'; }
# Body bytes per second: the client's own count, or the raw client's (the same bodies).
mbps() {
  local bytes=${BYTES[$1]:-${BYTES[raw]:-}}
  [ -n "$bytes" ] || { echo ""; return; }
  awk -v b="$bytes" -v s="${SECONDS_BEST[$1]}" 'BEGIN {printf "%.1f", b / s / 1e6}'
}
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), shared" \
  "by the fake API and the client under test. Load average before: $LOAD_BEFORE; after: $LOAD_AFTER."
echo "$RECORDS records, $PAGES pages of $PAGE_SIZE, one after another on one keep-alive connection" \
  "to weft-fake-rest (--threads $FAKE_THREADS$([ "$GZIP" = 1 ] || echo ', --no-gzip: bodies uncompressed'))" \
  "on 127.0.0.1$([ "$LATENCY_MS" -gt 0 ] && echo ", each page answered $LATENCY_MS ms late");" \
  "best of $ROUNDS round(s), clients interleaved, each timed from process start."
if [ "$GZIP" = 1 ]; then
  echo "Bodies gzipped: body MB/s counts the compressed bytes as sent."
fi
echo "Python $("$PYTHON" -c 'import platform; print(platform.python_version())')," \
  "requests $("$PYTHON" -c 'import requests; print(requests.__version__)');" \
  "$(curl --version | head -n1 | cut -d' ' -f1-2); weft workers: $WORKERS."
echo
printf '| client | per page | seconds | records/s | body MB/s | CPU s client | CPU s fake API | peak RSS MB | weft / it | target |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
row() {  # $1: client; $2: label; $3: work; $4: target
  has "$1" || return 0
  local r=""
  [ "$1" != weft ] && has weft && r="**$(ratio weft "$1")**"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" \
    "$(awk -v s="${SECONDS_BEST[$1]}" 'BEGIN {printf "%.2f", s}')" "$(rps "$1")" "$(mbps "$1")" \
    "$(ticks_to_s "${CPU_CLIENT[$1]}")" "$(ticks_to_s "${CPU_FAKE[$1]}")" "$(mb "${RSS_KB[$1]}")" \
    "$r" "$4"
}
# shellcheck disable=SC2016  # backquotes are Markdown here
{
  row raw 'raw GET (bench/rest/sequential_get.cc)' 'GET, body read and dropped (the limit)' 'weft >= 0.8x'
  row curl 'curl, page numbers' 'GET, body to /dev/null' ''
  row python 'Python `requests` loop' 'GET, json parse, json.dumps per record to a file' 'weft >= 5x'
  row weft 'weft `rest` -> `file`' 'GET, parse, record per item, file sink, checkpoints' ''
}
echo
for client in $CLIENTS; do
  [ -n "${FAULTS[$client]:-}" ] && echo "- $client: ${FAULTS[$client]%;}"
done
if has python || has weft; then
  echo "- python's and weft's files held $RECORDS lines, every number once, in every round," \
    "unless said above."
fi
