#!/usr/bin/env bash
# The `files` source, in two parts measured in the same run on one machine (CONVENTIONS.md: the
# ratios are what count). Each client is timed from its process start until it has everything.
#
# csv  CSV parse throughput from a local directory (issue: at least 100 MB/s per core).
#      CSV_FILES (8) files of CSV_MB/CSV_FILES MB each (400 MB in all), written by
#      bench/files/gen_csv.py: rows of about 100 bytes (id, name, email, phone, city, amount,
#      quantity, ISO timestamp, note; a quarter of the cities quoted around a comma, one note
#      in 16 quoted with a comma and doubled quotes). The files sit in WORK_PARENT (/dev/shm,
#      memory, by default) and are read once before anything is timed, so every client reads
#      from the page cache:
#        cat     `cat` of every file to /dev/null: reading the bytes, the physical limit;
#        wc      `wc -l` over the files: reading and looking at every byte (the peer the ratio
#                is quoted against);
#        weft    a daemon (`workers: WORKERS`) with one pipeline: `files` (url: file://...,
#                after_read: keep, format by extension: csv, header row, default dialect) ->
#                `file` sink (one JSON line per row, max_size 0, fsync at each checkpoint),
#                default batch and checkpoint settings. The clock stops when the sink file's
#                last complete line is the last row of the last file (rows leave in key order,
#                each file's in file order); the file is then checked to hold every row;
#        generate  not a peer but weft without the files source, to show where weft's time
#                goes: `generate` (rate 0, count: the CSV's rows, record_size: the size of the
#                JSON lines weft wrote from the CSV) -> the same sink, timed the same way.
#      Reported: input MB/s (CSV bytes / wall seconds, MB = 10^6 bytes), rows/s, CPU seconds
#      (user + system: GNU time for the peers, /proc/<pid>/stat of the daemon just before it is
#      stopped), MB per CPU-second (the "per core" figure: CSV bytes / CPU seconds), peak RSS
#      (GNU time's max RSS; the daemon's VmHWM) and the time to the first row in the sink.
#      weft's CPU seconds include everything it does to the rows: the CSV decoder, the record
#      JSON, the pipeline, the sink's writes, the state store; its wall time includes start-up.
#
# s3   Objects/s from the S3 test server (issue: weft with parallel fetch at least 2x a raw
#      sequential GET loop). s3rver (tests/fakes/s3rver/run.js, the launcher the tests use: one
#      Node.js process, single-threaded, SigV4 signatures verified, credentials S3RVER/S3RVER,
#      path style, bucket `bench`) holds OBJECTS (2,000) CSV objects of about OBJECT_BYTES
#      (4,096) bytes, about 40 rows each, uploaded before anything is timed by
#      bench/files/s3_client.py (standard library only, SigV4 with UNSIGNED-PAYLOAD). One server
#      serves every round; its data directory is in WORK_PARENT.
#        python  the raw sequential GET loop: bench/files/s3_client.py get, one http.client
#                keep-alive connection, ListObjectsV2 (1,000 keys a page) then one signed GET
#                after another, bodies read and thrown away;
#        curl    a cross-check of the same loop without Python: one curl process
#                (--aws-sigv4), one keep-alive connection, the same GETs from a URL list built
#                beforehand (no listing), bodies to /dev/null;
#        weft    a daemon with one pipeline: `files` (url: s3://bench/, endpoint, credentials
#                from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, concurrency: CONCURRENCY,
#                poll_interval: POLL_INTERVAL) -> `file` sink, as in csv; the clock stops when
#                the last row of the last object is in the sink file. Its time to first row
#                shows the start-up and listing cost.
#      Fairness: s3rver is the bottleneck of every client (one Node.js thread that parses each
#      request, checks its signature in JavaScript and reads the object and its metadata from
#      disk: milliseconds of CPU a GET), so the ratio says how much weft overlaps the server's
#      work with its own and with the round trips, not how fast its HTTP stack is. On loopback
#      a sequential loop already keeps s3rver busy most of the time, and no client can beat it
#      by more than (its seconds / its "CPU s s3rver"): compare the two columns before reading
#      the ratio; a server whose latency is not CPU (real S3) leaves parallel fetch far more
#      room. Python's own cost per GET (signing, http.client: its "CPU s client") is small
#      next to s3rver's but not nil, which flatters weft a little; the curl row, with its C
#      client, shows how much (it skips the listing, which flatters curl).
#      Latency rounds: the issue's target is about overlapping request latency, which loopback
#      does not have (a GET to s3rver here is about its CPU time, a millisecond or two; one to
#      a real remote store is tens of ms of waiting). So the s3 part runs once per entry of
#      LATENCIES (default "0 10"): at 0 the clients talk to s3rver directly, as above; at N > 0
#      every client (python, curl and weft alike, in the same run) talks to
#      bench/files/delay_proxy.py (Python standard library, a thread per client connection and
#      one upstream connection each, keep-alive both ways, requests forwarded unchanged with
#      their Host header so SigV4 still verifies), which reads each whole response from s3rver
#      and sends it on N ms later. One delay per request, standing for the network round trip
#      to a remote store. It is a model, not a network: no bandwidth limit, no jitter, no
#      connection set-up delay (so a client that opens more connections pays nothing for them),
#      no TLS; and the proxy's Python CPU (reported under each table) runs on the same cores
#      as the clients and s3rver. With N well above s3rver's CPU per GET, a sequential loop
#      waits on the delay and parallel fetch overlaps it, which is what real S3 rewards; how
#      much it gains is capped by CONCURRENCY and by s3rver's CPU (at most about
#      (N + s3rver ms a GET) / s3rver ms a GET).
#
# Best of ROUNDS rounds per client, clients interleaved so that drift on a noisy machine hits
# all alike. Prints Markdown; docs/benchmarks.md records a run. Not part of CI, and no timing
# is asserted anywhere.
#   QUICK=1 ./bench/files.sh          a smoke run: 40 MB of CSV in 4 files, 200 objects, 1 round
#                                     (at each latency)
#   PARTS="csv s3"                    leave a part out
#   CSV_CLIENTS="cat wc weft generate"   leave clients out (the ratios need weft; generate
#                                     sizes its records from weft's output when weft runs first)
#   S3_CLIENTS="python curl weft"
#   CSV_FILES=8 CSV_MB=400            CSV files and their total size (MB)
#   OBJECTS=2000 OBJECT_BYTES=4096    S3 objects and the size of each
#   LATENCIES="0 10"                  the s3 part once per added latency (ms per request,
#                                     through bench/files/delay_proxy.py; 0: s3rver directly);
#                                     LATENCY_MS=10 runs that one only
#   CONCURRENCY=8                     the files source's `concurrency` in the s3 part
#   CSV_CONCURRENCY=                  its `concurrency` in the csv part (unset: the default, 4)
#   POLL_INTERVAL=1s                  the files source's `poll_interval` (the first listing is
#                                     at start-up either way)
#   ROUNDS=3                          rounds (each client's best is kept)
#   WORKERS=2                         weft's `workers`
#   FSYNC=true                        the file sink's `fsync`
#   WORK_PARENT=/dev/shm              where the input, s3rver's data, weft's state and the sink
#                                     file go; a disk directory (e.g. /tmp) adds the disk to
#                                     weft's figures (the sink file is about 1.9x the CSV and is
#                                     fsynced)
#   WEFT=path/to/weft                 run that binary instead of building build/release's
#   KEEP=1                            keep the work dir at the end
# Exit status: 0 when every client read everything; 3 when weft could not run (not built, or no
# `files` source in this build); 1 on any other failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then
  CSV_FILES=${CSV_FILES:-4} CSV_MB=${CSV_MB:-40} OBJECTS=${OBJECTS:-200} ROUNDS=${ROUNDS:-1}
fi
PARTS=${PARTS:-csv s3}
CSV_CLIENTS=${CSV_CLIENTS:-cat wc weft generate}
S3_CLIENTS=${S3_CLIENTS:-python curl weft}
LATENCIES=${LATENCIES:-${LATENCY_MS:-0 10}}
CSV_FILES=${CSV_FILES:-8}
CSV_MB=${CSV_MB:-400}
OBJECTS=${OBJECTS:-2000}
OBJECT_BYTES=${OBJECT_BYTES:-4096}
CONCURRENCY=${CONCURRENCY:-8}
CSV_CONCURRENCY=${CSV_CONCURRENCY:-}
POLL_INTERVAL=${POLL_INTERVAL:-1s}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-2}
FSYNC=${FSYNC:-true}
WORK_PARENT=${WORK_PARENT:-/dev/shm}
[ -d "$WORK_PARENT" ] && [ -w "$WORK_PARENT" ] || WORK_PARENT=${TMPDIR:-/tmp}
# Debian's interpreter, as the other benchmarks (only the standard library is used).
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-$(command -v node || command -v nodejs || true)}
part() { [[ " $PARTS " == *" $1 "* ]]; }

# ---- what the benchmark needs, installed only if missing ----
./scripts/install-packages.sh python3 curl time procps coreutils
if part s3; then
  if [ -z "$NODE" ] || [ ! -f tests/fakes/s3rver/node_modules/s3rver/package.json ]; then
    echo "files.sh: the s3 part needs Node.js and s3rver (scripts/install-deps.sh, or: cd" \
      "tests/fakes/s3rver && npm ci); PARTS=csv leaves it out" >&2
    exit 1
  fi
fi

WORK=$(mktemp -d "$WORK_PARENT/weft-bench-files.XXXXXX")
PIDS=()
S3_STDIN_FD=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local pid
  # EOF on its stdin stops run.js, even if the SIGTERM below were lost.
  [ -n "$S3_STDIN_FD" ] && exec {S3_STDIN_FD}>&-
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  if [ -n "${KEEP:-}" ]; then echo "files.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- weft: built first, so the build does not overlap a measurement; its failure only costs
# the weft rows (WEFT_ERROR says why) ----
WEFT_ERROR=
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

# ---- measurement helpers ----
cpu_ticks() {  # $1: pid; sets CPU (utime + stime, clock ticks), from /proc without forking
  local stat
  read -r -a stat <"/proc/$1/stat"
  CPU=$(( stat[13] + stat[14] ))
}

# Results by "<part>/<client>": the fastest round, with its CPU, RSS, first-row time and the
# server's CPU (s3).
# s3 keys are "s3-<latency ms>/<client>".
declare -A SECS CPU_CLIENT CPU_SERVER CPU_PROXY RSS_KB FIRST FAULTS PY_INNER
keep() {  # $1: part/client; $2: seconds; $3: client CPU ticks; $4: RSS kB; $5: first row s;
          # $6: server CPU ticks; $7: the delay proxy's CPU ticks
  local best=${SECS[$1]:-}
  if [ -z "$best" ] || awk -v a="$2" -v b="$best" 'BEGIN {exit !(a < b)}'; then
    SECS[$1]=$2 CPU_CLIENT[$1]=$3 RSS_KB[$1]=$4 FIRST[$1]=${5:-} CPU_SERVER[$1]=${6:-}
    CPU_PROXY[$1]=${7:-}
  fi
}
fault() { FAULTS[$1]+=" $2;"; }

# One weft daemon with one pipeline -> `file` sink, timed from its start until the sink file's
# last complete line starts with $3 (the last row's id). Sets W_SECS, W_FIRST, W_TICKS, W_RSS,
# W_LINES and W_BYTES (the sink file, after the stop); returns 1 (WEFT_ERROR set) if the daemon
# failed.
run_weft() {  # $1: directory; $2: source (YAML, indented 2); $3: last line's start; $4: env
  local dir=$1 out=$1/out/rows.jsonl start end tail_text last first="" pid deadline
  mkdir -p "$dir/pipelines"
  write_daemon_config "$dir"
  cat >"$dir/pipelines/files.yaml" <<YAML
name: files
source:
$2
sink:
  type: file
  path: $out
  max_size: 0
  fsync: $FSYNC
YAML
  # An unknown source type (a build without `files`) or a setting it does not take is
  # reported here, before anything is timed.
  # shellcheck disable=SC2086  # $4: NAME=value words for env
  if ! env ${4:-} "$WEFT" validate --config "$dir/weft.yaml" >"$dir/validate.log" 2>&1; then
    WEFT_ERROR="\`weft validate\` rejects the pipeline (is the files source in this build?): $(grep -v '^$' "$dir/validate.log" | head -n3 | tr '\n' ' ')"
    return 1
  fi
  start=$EPOCHREALTIME
  # shellcheck disable=SC2086  # $4: NAME=value words for env
  env ${4:-} "$WEFT" run --config "$dir/weft.yaml" >"$dir/weft.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  deadline=$(( ${start%.*} + 120 + CSV_MB / 5 + OBJECTS / 20 ))
  while :; do
    # The last 512 bytes: whole rows are far shorter. A partial last line never ends in `}`.
    tail_text=$(tail -c 512 "$out" 2>/dev/null || true)
    if [ -n "$tail_text" ]; then
      [ -n "$first" ] || first=$EPOCHREALTIME
      last=${tail_text##*$'\n'}
      [[ $last == "$3"*"}" ]] && break
    fi
    if ! running "$pid" || [ "${EPOCHREALTIME%.*}" -gt "$deadline" ]; then
      WEFT_ERROR="the pipeline did not deliver its last row, $3... ($(running "$pid" &&
        echo "still running after $((deadline - ${start%.*})) s" || echo "the daemon exited")):" 
      WEFT_ERROR+=" $(grep -m1 '\] \[\(error\|critical\)\]\|error' "$dir/weft.log" || tail -n1 "$dir/weft.log")"
      stop_pid "$pid"
      forget_pid "$pid"
      return 1
    fi
    nap 0.01
  done
  end=$EPOCHREALTIME
  cpu_ticks "$pid"
  W_TICKS=$CPU
  W_RSS=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  stop_pid "$pid"
  forget_pid "$pid"
  W_SECS=$(elapsed "$start" "$end")
  W_FIRST=$(elapsed "$start" "$first")
  W_LINES=$(wc -l <"$out")
  W_BYTES=$(stat -c %s "$out")
  W_WARNINGS=$(grep -m1 '\] \[\(warning\|error\|critical\)\]' "$dir/weft.log" || true)
  rm -rf "$dir/out"
}

# ---- csv part ----
CSV_DIR=$WORK/csv
setup_csv() {
  local per_file=$(( CSV_MB * 1000000 / CSV_FILES ))
  read -r CSV_ROWS CSV_BYTES CSV_LAST_ID < <("$PYTHON" bench/files/gen_csv.py "$CSV_DIR" \
    --files "$CSV_FILES" --bytes-per-file "$per_file" --prefix part-)
  cat "$CSV_DIR"/*.csv >/dev/null  # into the page cache (a no-op in /dev/shm)
}

measure_csv_peer() {  # $1: cat or wc
  local start end status=0 out=$WORK/csv-$1.out
  local cmd=(cat) ; [ "$1" = wc ] && cmd=(wc -l)
  start=$EPOCHREALTIME
  if [ "$1" = cat ]; then
    /usr/bin/time -f "$TIME_FORMAT" -o "$WORK/csv-$1.time" "${cmd[@]}" "$CSV_DIR"/*.csv \
      >/dev/null || status=$?
  else
    /usr/bin/time -f "$TIME_FORMAT" -o "$WORK/csv-$1.time" "${cmd[@]}" "$CSV_DIR"/*.csv \
      >"$out" || status=$?
  fi
  end=$EPOCHREALTIME
  if [ "$status" -ne 0 ]; then fault "csv/$1" "**exited with status $status**"; return; fi
  if [ "$1" = wc ]; then
    local lines
    lines=$(awk 'END {print $1}' "$out")  # the "total" line
    [ "$lines" -eq $((CSV_ROWS + CSV_FILES)) ] ||
      fault csv/wc "**counted $lines lines, expected $((CSV_ROWS + CSV_FILES))**"
  fi
  time_ticks "$WORK/csv-$1.time"
  keep "csv/$1" "$(elapsed "$start" "$end")" "$TICKS" "$MAXRSS"
}

measure_csv_weft() {
  local settings="  type: files
  url: file://$CSV_DIR
  after_read: keep
  poll_interval: $POLL_INTERVAL"
  [ -n "$CSV_CONCURRENCY" ] && settings+=$'\n'"  concurrency: $CSV_CONCURRENCY"
  run_weft "$WORK/weft-csv" "$settings" "{\"id\":\"$CSV_LAST_ID\"," || return 0
  CSV_JSON_BYTES=$W_BYTES
  [ "$W_LINES" -eq "$CSV_ROWS" ] ||
    fault csv/weft "**the sink file held $W_LINES lines, expected $CSV_ROWS**"
  [ -z "$W_WARNINGS" ] || fault csv/weft "warnings in its log: $W_WARNINGS"
  keep csv/weft "$W_SECS" "$W_TICKS" "$W_RSS" "$W_FIRST"
  rm -rf "$WORK/weft-csv"
}

# weft's pipeline and sink without the files source: `generate` (as fast as the sink takes
# them) -> the same `file` sink, as many records as there are CSV rows, each padded to the
# size of the JSON lines weft wrote from the CSV (200 bytes if weft did not run first).
measure_csv_generate() {
  local size=200
  [ -n "${CSV_JSON_BYTES:-}" ] && size=$(( CSV_JSON_BYTES / CSV_ROWS - 1 ))
  run_weft "$WORK/weft-generate" "  type: generate
  rate: 0
  count: $CSV_ROWS
  record_size: $size" "{\"id\":$CSV_ROWS," || return 0
  [ "$W_LINES" -eq "$CSV_ROWS" ] ||
    fault csv/generate "**the sink file held $W_LINES lines, expected $CSV_ROWS**"
  [ -z "$W_WARNINGS" ] || fault csv/generate "warnings in its log: $W_WARNINGS"
  GENERATE_BYTES=$W_BYTES
  keep csv/generate "$W_SECS" "$W_TICKS" "$W_RSS" "$W_FIRST"
  rm -rf "$WORK/weft-generate"
}

# ---- s3 part ----
OBJ_DIR=$WORK/objects
S3_PID="" S3_PORT="" ENDPOINT=""
CREDENTIALS=(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1)
start_s3rver() {
  local dir=$WORK/s3rver
  mkdir -p "$dir"
  mkfifo "$dir/stdin"
  # run.js stops at EOF on its stdin: this shell holds the fifo's write end until cleanup.
  "$NODE" --openssl-legacy-provider tests/fakes/s3rver/run.js --directory "$dir/data" \
    --bucket bench <"$dir/stdin" >"$dir/port" 2>"$dir/log" &
  S3_PID=$!
  PIDS+=("$S3_PID")
  exec {S3_STDIN_FD}>"$dir/stdin"
  for _ in $(seq 1 600); do
    S3_PORT=$(head -n1 "$dir/port")
    [ -n "$S3_PORT" ] && break
    alive "$S3_PID" || break
    nap 0.05
  done
  if [ -z "$S3_PORT" ]; then
    echo "files.sh: s3rver did not start; its log:" >&2
    tail -n 20 "$dir/log" >&2
    exit 1
  fi
  ENDPOINT=http://127.0.0.1:$S3_PORT
}

setup_s3() {
  read -r S3_ROWS S3_BYTES S3_LAST_ID < <("$PYTHON" bench/files/gen_csv.py "$OBJ_DIR" \
    --files "$OBJECTS" --bytes-per-file "$OBJECT_BYTES" --prefix obj-)
  start_s3rver
  local put
  put=$(env "${CREDENTIALS[@]}" "$PYTHON" bench/files/s3_client.py put "$ENDPOINT" bench "$OBJ_DIR")
  [ "$put" = "objects=$OBJECTS bytes=$S3_BYTES" ] ||
    { echo "files.sh: the upload to s3rver said '$put', expected $OBJECTS objects" >&2; exit 1; }
  local ms
  for ms in $LATENCIES; do
    if [ "$ms" = 0 ]; then
      S3_URL[$ms]=$ENDPOINT
    else
      start_proxy "$ms"
    fi
    # The URL list of the curl loop: the same keys in the same (listing) order.
    (cd "$OBJ_DIR" && printf '%s\n' *.csv) | awk -v e="${S3_URL[$ms]}" \
      '{printf "url = \"%s/bench/%s\"\noutput = \"/dev/null\"\n", e, $1}' >"$WORK/curl-$ms.cfg"
  done
}

# The latency rounds: bench/files/delay_proxy.py in front of s3rver, one per latency, started
# once; every client of that latency talks to it. Latency 0 is s3rver itself, no proxy.
declare -A S3_URL PROXY_PID
start_proxy() {  # $1: latency, ms
  local port="" log=$WORK/proxy-$1
  "$PYTHON" bench/files/delay_proxy.py --upstream "127.0.0.1:$S3_PORT" --latency-ms "$1" \
    >"$log.port" 2>"$log.log" &
  PROXY_PID[$1]=$!
  PIDS+=("$!")
  for _ in $(seq 1 200); do
    port=$(head -n1 "$log.port")
    [ -n "$port" ] && break
    alive "${PROXY_PID[$1]}" || break
    nap 0.05
  done
  if [ -z "$port" ]; then
    echo "files.sh: delay_proxy.py did not start; its log:" >&2
    tail -n 20 "$log.log" >&2
    exit 1
  fi
  S3_URL[$1]=http://127.0.0.1:$port
}
# CPU ticks of the proxy of latency $1 (0 without one), in CPU.
proxy_ticks() { CPU=0; [ -z "${PROXY_PID[$1]:-}" ] || cpu_ticks "${PROXY_PID[$1]}"; }

measure_s3_python() {  # $1: latency, ms
  local start end server_before proxy_before out=$WORK/s3-python.out status=0 key=s3-$1/python
  cpu_ticks "$S3_PID"; server_before=$CPU
  proxy_ticks "$1"; proxy_before=$CPU
  start=$EPOCHREALTIME
  env "${CREDENTIALS[@]}" /usr/bin/time -f "$TIME_FORMAT" -o "$WORK/s3-python.time" \
    "$PYTHON" bench/files/s3_client.py get "${S3_URL[$1]}" bench >"$out" 2>&1 || status=$?
  end=$EPOCHREALTIME
  proxy_ticks "$1"; local proxy_used=$((CPU - proxy_before))
  cpu_ticks "$S3_PID"
  if [ "$status" -ne 0 ]; then fault "$key" "**exited with status $status: $(tail -n1 "$out")**"; return; fi
  [[ $(<"$out") == "objects=$OBJECTS bytes=$S3_BYTES "* ]] ||
    fault "$key" "**it said '$(<"$out")', expected objects=$OBJECTS bytes=$S3_BYTES**"
  local took
  took=$(elapsed "$start" "$end")
  time_ticks "$WORK/s3-python.time"
  keep "$key" "$took" "$TICKS" "$MAXRSS" "" $((CPU - server_before)) "$proxy_used"
  # Its own clock, in the round kept.
  [ "${SECS[$key]}" = "$took" ] && PY_INNER[$1]=$(sed -n \
    's/.*list_seconds=\([0-9.]*\) get_seconds=\([0-9.]*\).*/listing \1 s, GETs \2 s/p' "$out")
  return 0
}

measure_s3_curl() {  # $1: latency, ms
  local start end server_before proxy_before out=$WORK/s3-curl.out status=0 key=s3-$1/curl
  cpu_ticks "$S3_PID"; server_before=$CPU
  proxy_ticks "$1"; proxy_before=$CPU
  start=$EPOCHREALTIME
  # x-amz-content-sha256 is what S3 requires; curl signs the value given.
  /usr/bin/time -f "$TIME_FORMAT" -o "$WORK/s3-curl.time" curl -s --noproxy '*' \
    --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -K "$WORK/curl-$1.cfg" \
    -w '%{http_code} %{num_connects} %{size_download}\n' >"$out" || status=$?
  end=$EPOCHREALTIME
  proxy_ticks "$1"; local proxy_used=$((CPU - proxy_before))
  cpu_ticks "$S3_PID"
  if [ "$status" -ne 0 ]; then fault "$key" "**exited with status $status**"; return; fi
  local n ok connects bytes
  read -r n ok connects bytes < <(awk '{n++; if ($1 == 200) ok++; c += $2; b += $3}
    END {printf "%d %d %d %d\n", n, ok, c, b}' "$out")
  if [ "$n" != "$OBJECTS" ] || [ "$ok" != "$OBJECTS" ] || [ "$bytes" != "$S3_BYTES" ]; then
    fault "$key" "**$n transfers, $ok of them 200, $bytes bytes, for $OBJECTS objects**"
  fi
  [ "$connects" = 1 ] || fault "$key" "$connects connections"
  time_ticks "$WORK/s3-curl.time"
  keep "$key" "$(elapsed "$start" "$end")" "$TICKS" "$MAXRSS" "" $((CPU - server_before)) \
    "$proxy_used"
}

measure_s3_weft() {  # $1: latency, ms
  local server_before proxy_before key=s3-$1/weft
  cpu_ticks "$S3_PID"; server_before=$CPU
  proxy_ticks "$1"; proxy_before=$CPU
  run_weft "$WORK/weft-s3" "  type: files
  url: s3://bench/
  endpoint: ${S3_URL[$1]}
  concurrency: $CONCURRENCY
  poll_interval: $POLL_INTERVAL
  after_read: keep" "{\"id\":\"$S3_LAST_ID\"," \
    "${CREDENTIALS[*]} HTTP_PROXY= http_proxy= HTTPS_PROXY= https_proxy= NO_PROXY=127.0.0.1" ||
    return 0
  proxy_ticks "$1"; local proxy_used=$((CPU - proxy_before))
  cpu_ticks "$S3_PID"
  [ "$W_LINES" -eq "$S3_ROWS" ] ||
    fault "$key" "**the sink file held $W_LINES lines, expected $S3_ROWS**"
  [ -z "$W_WARNINGS" ] || fault "$key" "warnings in its log: $W_WARNINGS"
  keep "$key" "$W_SECS" "$W_TICKS" "$W_RSS" "$W_FIRST" $((CPU - server_before)) "$proxy_used"
  rm -rf "$WORK/weft-s3"
}

# ---- the run ----
part csv && setup_csv
part s3 && setup_s3
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 1 "$ROUNDS"); do
  if part csv; then
    for client in $CSV_CLIENTS; do
      case $client in
        cat|wc) measure_csv_peer "$client" ;;
        weft) [ -n "$WEFT_ERROR" ] || measure_csv_weft ;;
        generate) [ -n "$WEFT_ERROR" ] || measure_csv_generate ;;
        *) echo "files.sh: unknown CSV client '$client'" >&2; exit 1 ;;
      esac
    done
  fi
  if part s3; then
    for ms in $LATENCIES; do
      for client in $S3_CLIENTS; do
        case $client in
          python) measure_s3_python "$ms" ;;
          curl) measure_s3_curl "$ms" ;;
          weft) [ -n "$WEFT_ERROR" ] || measure_s3_weft "$ms" ;;
          *) echo "files.sh: unknown S3 client '$client'" >&2; exit 1 ;;
        esac
      done
    done
  fi
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----
has() { [ -n "${SECS[$1]:-}" ]; }
ratio() { awk -v a="${SECS[$2]}" -v b="${SECS[$1]}" 'BEGIN {printf "%.2f", a / b}'; }
per_s() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
secs() { awk -v s="$1" 'BEGIN {printf "%.3f", s}'; }

echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), shared" \
  "by the clients and s3rver. Load average before: $LOAD_BEFORE; after: $LOAD_AFTER. Best of" \
  "$ROUNDS round(s), clients interleaved, each timed from its process start. Work dir in" \
  "$WORK_PARENT ($(df --output=fstype "$WORK" | tail -n1)); weft workers: $WORKERS, sink fsync:" \
  "$FSYNC."
if part csv; then
  echo
  echo "**CSV from a local directory:** $CSV_FILES files, $(awk -v b="$CSV_BYTES" \
    'BEGIN {printf "%.1f", b / 1e6}') MB, $CSV_ROWS rows (about $((CSV_BYTES / CSV_ROWS)) bytes" \
    "a row), in the page cache; weft's \`files\` source with concurrency" \
    "${CSV_CONCURRENCY:-4 (default)}."
  echo
  printf '| client | what it does | seconds | input MB/s | rows/s | CPU s | MB per CPU-second | peak RSS MB | first row s | weft / it |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|\n'
  csv_row() {  # $1: client; $2: label; $3: work
    local key=csv/$1 r="" cpu
    has "$key" || return 0
    [ "$1" != weft ] && has csv/weft && r="**$(ratio csv/weft "$key")**"
    cpu=$(ticks_to_s "${CPU_CLIENT[$key]}")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" \
      "$(secs "${SECS[$key]}")" "$(awk -v b="$CSV_BYTES" -v s="${SECS[$key]}" \
      'BEGIN {printf "%.1f", b / s / 1e6}')" "$(per_s "$CSV_ROWS" "${SECS[$key]}")" "$cpu" \
      "$(awk -v b="$CSV_BYTES" -v t="${CPU_CLIENT[$key]}" -v hz="$CLK_TCK" \
      'BEGIN {if (t > 0) printf "%.1f", b / (t / hz) / 1e6; else print "n/a"}')" \
      "$(mb "${RSS_KB[$key]}")" "${FIRST[$key]:+$(secs "${FIRST[$key]}")}" "$r"
  }
  # shellcheck disable=SC2016  # backquotes are Markdown here
  {
    csv_row cat '`cat` > /dev/null' 'read the bytes (the physical limit)'
    csv_row wc '`wc -l`' 'read the bytes, count newlines'
    csv_row weft 'weft `files` -> `file`' 'read, parse CSV, JSON line per row to the sink, checkpoints'
    csv_row generate 'weft `generate` -> `file` (no CSV)' "the same number of JSON lines of the same size, made up" 
  }
  echo
  if has csv/weft; then
    echo "- weft: $(awk -v b="$CSV_BYTES" -v t="${CPU_CLIENT[csv/weft]}" -v hz="$CLK_TCK" \
      'BEGIN {printf "%.1f", b / (t / hz) / 1e6}') MB of CSV per CPU-second (target: at least" \
      "100 MB/s per core); it wrote $(awk -v b="$CSV_JSON_BYTES" 'BEGIN {printf "%.1f", b / 1e6}')" \
      "MB of JSON lines."
  fi
  if has csv/weft && has csv/generate; then
    echo "- generate: the same number of lines ($(awk -v b="$GENERATE_BYTES" \
      'BEGIN {printf "%.1f", b / 1e6}') MB) through the same pipeline and sink took" \
      "$(ticks_to_s "${CPU_CLIENT[csv/generate]}") CPU s, so of weft's" \
      "$(ticks_to_s "${CPU_CLIENT[csv/weft]}") CPU s in the CSV run about" \
      "$(ticks_to_s $(( CPU_CLIENT[csv/weft] - CPU_CLIENT[csv/generate] ))) went to the files" \
      "source (reading, CSV decoding, building records); its MB/s columns count the CSV's bytes."
  fi
  for client in $CSV_CLIENTS; do
    [ -n "${FAULTS[csv/$client]:-}" ] && echo "- $client:${FAULTS[csv/$client]%;}"
  done
fi
if part s3; then
  s3_row() {  # $1: latency; $2: client; $3: label; $4: work; $5: target
    local key=s3-$1/$2 r=""
    has "$key" || return 0
    [ "$2" != weft ] && has "s3-$1/weft" && r="**$(ratio "s3-$1/weft" "$key")**"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$3" "$4" \
      "$(secs "${SECS[$key]}")" "$(per_s "$OBJECTS" "${SECS[$key]}")" \
      "${FIRST[$key]:+$(secs "${FIRST[$key]}")}" "$(ticks_to_s "${CPU_CLIENT[$key]}")" \
      "$(ticks_to_s "${CPU_SERVER[$key]}")" "$(mb "${RSS_KB[$key]}")" "$r" "$5"
  }
  for ms in $LATENCIES; do
    echo
    if [ "$ms" = 0 ]; then
      echo "**Objects from s3rver, no added latency:** $OBJECTS objects of about" \
        "$((S3_BYTES / OBJECTS)) bytes ($S3_ROWS rows) in one bucket of s3rver" \
        "($("$NODE" --version), single-threaded) on 127.0.0.1, straight to it; weft's" \
        "\`files\` source with concurrency $CONCURRENCY."
    else
      echo "**Objects from s3rver, $ms ms added to every request:** the same objects, every" \
        "client through bench/files/delay_proxy.py, which holds each response $ms ms before" \
        "passing it on (a stand-in for the round trip to a remote store); weft's \`files\`" \
        "source with concurrency $CONCURRENCY."
    fi
    echo
    printf '| client | what it does | seconds | objects/s | first row s | CPU s client | CPU s s3rver | peak RSS MB | weft / it | target |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|\n'
    # shellcheck disable=SC2016  # backquotes are Markdown here
    {
      s3_row "$ms" python 'Python http.client loop' 'list, then GET one after another on one connection, bodies dropped' 'weft >= 2x'
      s3_row "$ms" curl 'curl `--aws-sigv4`' 'GET one after another on one connection (URLs known: no listing), to /dev/null' ''
      s3_row "$ms" weft 'weft `files` -> `file`' "list, up to $CONCURRENCY GETs at once, parse CSV, JSON line per row, checkpoints" ''
    }
    echo
    has "s3-$ms/python" && has "s3-$ms/weft" &&
      echo "- weft / python at $ms ms: **$(ratio "s3-$ms/weft" "s3-$ms/python")** (target: at least 2)."
    has "s3-$ms/python" &&
      echo "- python, inside the process: ${PY_INNER[$ms]:-?} (the rest is the interpreter's start-up)."
    if [ "$ms" != 0 ]; then
      line=
      for client in $S3_CLIENTS; do
        has "s3-$ms/$client" &&
          line+="${line:+, }$client $(ticks_to_s "${CPU_PROXY[s3-$ms/$client]:-0}")"
      done
      [ -z "$line" ] || echo "- CPU s of the delay proxy (Python, on the same cores, not in the" \
        "columns above): $line."
    fi
    for client in $S3_CLIENTS; do
      [ -n "${FAULTS[s3-$ms/$client]:-}" ] && echo "- $client:${FAULTS[s3-$ms/$client]%;}"
    done
  done
  read -r -a latencies <<<"$LATENCIES"
  if [ "${#latencies[@]}" -gt 1 ]; then
    echo
    echo "**Objects/s by added latency:**"
    echo
    printf '| added latency ms | python objects/s | curl objects/s | weft objects/s | weft / python |\n'
    printf '|---|---|---|---|---|\n'
    for ms in $LATENCIES; do
      cells=()
      for client in python curl weft; do
        if has "s3-$ms/$client"; then cells+=("$(per_s "$OBJECTS" "${SECS[s3-$ms/$client]}")")
        else cells+=(""); fi
      done
      r=""; has "s3-$ms/python" && has "s3-$ms/weft" && r="**$(ratio "s3-$ms/weft" "s3-$ms/python")**"
      printf '| %s | %s | %s | %s | %s |\n' "$ms" "${cells[@]}" "$r"
    done
  fi
fi
if [ -n "$WEFT_ERROR" ]; then
  echo "- weft: **not measured: $WEFT_ERROR**"
  exit 3
fi
for key in "${!FAULTS[@]}"; do
  [[ ${FAULTS[$key]} == *'**'* ]] && exit 1
done
exit 0
