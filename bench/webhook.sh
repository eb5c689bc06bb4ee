#!/usr/bin/env bash
# Webhook ingestion (issue: at least 0.25x nginx and 10x FastAPI in requests/s, p99 accept
# latency under 10 ms at half of weft's peak rate), measured in one run on one machine:
#   1. wrk posts the same signed 1 KB JSON body (bench/webhook/payload.json, header X-Signature:
#      hex HMAC-SHA256, bench/webhook/post.lua) over keep-alive connections, with the same
#      settings, to each receiver in turn, each alone on a free port on 127.0.0.1:
#        nginx        `return 200` on the same path: no check, nothing stored (the ceiling);
#        fastapi      the usual Python receiver (bench/webhook/fastapi_receiver.py): FastAPI
#                     under uvicorn (one worker, uvloop + httptools), HMAC check, append +
#                     flush to a file, no fsync;
#        fastapi_h11  the same app on uvicorn's plain asyncio + h11;
#        weft         a `webhook` source (HMAC check, answered once durable) -> `file` sink.
#      Each receiver is started afresh every round and warmed up with wrk first (not counted);
#      best of 3 rounds, receivers interleaved so that drift on a noisy VM hits all alike. For
#      those that store the body, the file must gain one line per 2xx answer wrk counted.
#   2. weft again, open loop at half its best rate from step 1 (bench/webhook/fixed_rate_load.cc,
#      built here with g++): p50/p90/p99/max accept latency from each request's *scheduled*
#      send time, so a stall is charged for every request it delays.
#   3. The floor under that latency: a 1 KB append + fdatasync on the same file system.
# Prints Markdown; docs/benchmarks.md records a run. Not part of CI.
#   QUICK=1 ./bench/webhook.sh          a smoke run: one round of 2 s each, 1 s warm-ups
#   DURATION=30 ROUNDS=5 WARMUP=2       seconds per wrk run (also LATENCY_DURATION), rounds
#   CONNECTIONS=64 WRK_THREADS=1        wrk -c / -t, and the open loop's connections
#   RECEIVERS="nginx fastapi"           leave receivers out (the ratios need weft)
#   HALF_RATE_FOR="weft fastapi"        the receivers measured at half their best rate
#   WORKERS=2                           weft's `workers` and nginx's worker_processes
#   WEFT=path/to/weft                   run that binary instead of building build/release's
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

if [ -n "${QUICK:-}" ]; then
  DURATION=${DURATION:-2} WARMUP=${WARMUP:-1} ROUNDS=${ROUNDS:-1}
fi
DURATION=${DURATION:-10}
DURATION=${DURATION%s}  # accept "10s" as well as "10"
WARMUP=${WARMUP:-2}
WARMUP=${WARMUP%s}
LATENCY_DURATION=${LATENCY_DURATION:-$DURATION}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
WORKERS=${WORKERS:-2}
RECEIVERS=${RECEIVERS:-nginx fastapi fastapi_h11 weft}
HALF_RATE_FOR=${HALF_RATE_FOR:-weft}
# Debian's interpreter: python3-fastapi and python3-uvicorn are installed for it, and a
# python3 found first on PATH (pyenv, a virtualenv) would not see them.
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH_SECRET=${BENCH_SECRET:-$(openssl rand -hex 32)}
export BENCH_SECRET

# ---- what the benchmark needs, installed only if missing ----
./scripts/install-packages.sh wrk nginx python3-fastapi python3-uvicorn python3-uvloop python3-httptools g++ openssl curl procps
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The body exactly as sent and signed: payload.json without its final newline.
BODY=$WORK/body.json
tr -d '\n' <bench/webhook/payload.json >"$BODY"
SIGNATURE=$(openssl dgst -sha256 -hmac "$BENCH_SECRET" -r <"$BODY" | cut -d' ' -f1)
BODY_BYTES=$(stat -c %s "$BODY")

LOAD=$WORK/fixed_rate_load
g++ -O2 -std=c++20 -pthread -o "$LOAD" bench/webhook/fixed_rate_load.cc

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls until something answers on $1 (any HTTP status), for at most 30 s.
wait_until_listening() {  # $1: url; $2: pid; $3: log file
  local status=0
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$1" || true)" != "000" ] && return 0
    alive "$2" || break
    sleep 0.1
  done
  if alive "$2"; then
    echo "webhook.sh: nothing answers on $1 after 30 s; last lines of $3:" >&2
  else
    wait "$2" || status=$?
    echo "webhook.sh: the server for $1 exited with status $status; last lines of $3:" >&2
  fi
  tail -n 20 "$3" >&2
  exit 1
}

post_status() {  # $1: url; $2: signature; prints the HTTP status
  curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "X-Signature: $2" --data-binary @"$BODY" "$1"
}

# A receiver that checks signatures must take the signed body and refuse a wrong signature.
check_receiver() {  # $1: name; $2: url; $3: "verifies" or ""
  local good bad
  good=$(post_status "$2" "$SIGNATURE")
  [[ "$good" == 2?? ]] || { echo "webhook.sh: $1 answered $good to a correctly signed POST" >&2; exit 1; }
  if [ -n "$3" ]; then
    bad=$(post_status "$2" "$(printf '%064d' 0)")
    [[ "$bad" == 4?? ]] || { echo "webhook.sh: $1 answered $bad to a wrongly signed POST" >&2; exit 1; }
  fi
}

# ---- the receivers: each start_* sets PORT, URL, SERVER_PID and SINK (empty: stores nothing) ----
start_nginx() {
  local dir=$WORK/nginx port
  port=$(free_port) PORT=$port
  mkdir -p "$dir"
  # worker_processes = weft's worker threads, so both sides may use the same number of cores.
  # No access log: nginx is the ceiling, the least an HTTP server can do per request.
  # keepalive_requests is raised from 1000 so that nginx, like weft and uvicorn, keeps every
  # connection open for the whole run.
  cat >"$dir/nginx.conf" <<NGINX
daemon off;
master_process on;
worker_processes $WORKERS;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location = /webhooks/bench {
      default_type application/json;
      return 200 '{"status":"accepted"}';
    }
  }
}
NGINX
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/stderr.log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=http://127.0.0.1:$port/webhooks/bench
  SINK=
  wait_until_listening "$URL" "$SERVER_PID" "$dir/error.log"
  check_receiver nginx "$URL" ""
}

# One worker, uvicorn's default (and what most such receivers run with). No access log, as for
# the others. Two variants: `fastapi` with uvloop and httptools, which uvicorn picks when they
# are installed (as `pip install "uvicorn[standard]"`, or FastAPI's own install instructions,
# do): the stronger peer, which the 10x target is measured against; and `fastapi_h11`, plain
# asyncio and h11, which is what the python3-uvicorn package or `pip install uvicorn` alone
# gives.
start_uvicorn() {  # $1: receiver name; then extra uvicorn arguments
  local name=$1 dir=$WORK/$1 port
  shift
  port=$(free_port) PORT=$port
  mkdir -p "$dir"
  SINK=$dir/hooks.jsonl
  BENCH_OUT=$SINK "$PYTHON" -m uvicorn --app-dir bench/webhook fastapi_receiver:app \
    --host 127.0.0.1 --port "$port" --workers 1 --no-access-log --log-level warning "$@" \
    >"$dir/uvicorn.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=http://127.0.0.1:$port/webhooks/bench
  wait_until_listening "$URL" "$SERVER_PID" "$dir/uvicorn.log"
  check_receiver "$name" "$URL" verifies
}
start_fastapi() { start_uvicorn fastapi --loop uvloop --http httptools; }
start_fastapi_h11() { start_uvicorn fastapi_h11 --loop asyncio --http h11; }

# WEFT=/path/to/weft runs that binary instead of building one.
build_weft() {
  if [ -n "${WEFT:-}" ]; then return; fi
  [ -f build/release/build.ninja ] || cmake --preset release >/dev/null
  cmake --build --preset release --target weft >/dev/null
  WEFT=$PWD/build/release/src/cli/weft
}

start_weft() {
  local dir=$WORK/weft port
  port=$(free_port) PORT=$port
  mkdir -p "$dir/pipelines"
  SINK=$dir/out/hooks.jsonl
  write_daemon_config "$dir" warn "webhooks: {listen: 127.0.0.1:$port}"
  # weft substitutes ${BENCH_SECRET} from its environment. No rotation, so one file holds
  # every line the run wrote.
  cat >"$dir/pipelines/hooks.yaml" <<YAML
name: hooks
source:
  type: webhook
  path: /webhooks/bench
  signature:
    scheme: hmac
    secrets: [ "\${BENCH_SECRET}" ]
    header: X-Signature
    algorithm: sha256
    encoding: hex
sink:
  type: file
  path: $SINK
  max_size: 0
YAML
  "$WEFT" run --config "$dir/weft.yaml" >"$dir/weft.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=http://127.0.0.1:$port/webhooks/bench
  wait_until_listening "$URL" "$SERVER_PID" "$dir/weft.log"
  check_receiver weft "$URL" verifies
}

stop_server() {
  stop_pid "$SERVER_PID"
  local pid kept=()
  for pid in "${PIDS[@]}"; do [ "$pid" != "$SERVER_PID" ] && kept+=("$pid"); done
  PIDS=("${kept[@]+"${kept[@]}"}")
}

# ---- measuring ----
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# The sink's line count once it has stopped growing for 2 s (weft writes behind its answers).
settled_lines() {  # $1: file
  local last now same=0
  last=$(lines "$1")
  for _ in $(seq 1 120); do
    sleep 0.5
    now=$(lines "$1")
    if [ "$now" -eq "$last" ]; then
      same=$((same + 1))
      [ "$same" -ge 4 ] && break
    else
      same=0 last=$now
    fi
  done
  echo "$now"
}

run_wrk() {  # $1: url; $2: seconds; $3: output file
  BENCH_BODY_FILE=$BODY BENCH_SIGNATURE=$SIGNATURE \
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2"s --latency -s bench/webhook/post.lua "$1" >"$3"
}

# wrk prints latencies as 635.91us, 1.23ms, 1.02s, 1.50m.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000;
    else if (v ~ /s$/) n *= 1000;
    printf "%.2f", n }'
}
wrk_rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$1"; }
wrk_requests() { awk '/ requests in / {print $1}' "$1"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ {n = $NF} END {print n + 0}' "$1"; }
wrk_socket_errors() { sed -n 's/^ *Socket errors: *//p' "$1"; }
wrk_pct() { to_ms "$(awk -v p="$2" '$1 == p {print $2}' "$1")"; }  # $1: file; $2: "99%"

declare -A RPS P50 P99 ANSWERS OK STORED FAULTS HALF
# One round for one receiver: start it, warm it up, measure, check its file, stop it. Keeps
# the round with the most requests/s (and that round's latencies).
measure() {  # $1: receiver
  local name=$1 out=$WORK/$1.wrk before=0 after added rps requests non2xx errors ok
  "start_$name"
  run_wrk "$URL" "$WARMUP" "$WORK/$name.warmup"
  [ -n "$SINK" ] && before=$(settled_lines "$SINK")
  run_wrk "$URL" "$DURATION" "$out"
  rps=$(wrk_rps "$out")
  if [ "$rps" -gt "${RPS[$name]:-0}" ]; then
    RPS[$name]=$rps P50[$name]=$(wrk_pct "$out" 50%) P99[$name]=$(wrk_pct "$out" 99%)
  fi
  requests=$(wrk_requests "$out")
  non2xx=$(wrk_non2xx "$out")
  errors=$(wrk_socket_errors "$out")
  ok=$((requests - non2xx))
  ANSWERS[$name]=$(( ${ANSWERS[$name]:-0} + requests ))
  OK[$name]=$(( ${OK[$name]:-0} + ok ))
  [ -n "$errors" ] && FAULTS[$name]+=" socket errors ($errors);"
  if [ -n "$SINK" ]; then
    # wrk does not count the answers still in flight when it stops (at most one per
    # connection), but the receiver stored those bodies too.
    after=$(settled_lines "$SINK")
    added=$((after - before))
    STORED[$name]=$(( ${STORED[$name]:-0} + added ))
    if [ "$added" -lt "$ok" ] || [ "$added" -gt $((ok + CONNECTIONS)) ]; then
      FAULTS[$name]+=" **file +$added lines for $ok 2xx answers**;"
    fi
  fi
  stop_server
}

# Open loop at half the best wrk rate, on a freshly started receiver.
half_rate() {  # $1: receiver
  local name=$1 out=$WORK/$1.fixed before=0 after
  "start_$name"
  [ -n "$SINK" ] && before=$(settled_lines "$SINK")
  "$LOAD" --port "$PORT" --path /webhooks/bench --body "$BODY" \
    --header "Content-Type: application/json" --header "X-Signature: $SIGNATURE" \
    --rate $((RPS[$name] / 2)) --duration "$LATENCY_DURATION" --warmup "$WARMUP" \
    --connections "$CONNECTIONS" >"$out"
  HALF[$name]=$(cat "$out")
  if [ -n "$SINK" ]; then
    after=$(settled_lines "$SINK")
    HALF[$name]+=" stored=$((after - before))"
  fi
  stop_server
}
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }  # $1: key=value line; $2: key

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ " $RECEIVERS " == *" weft "* ]]; then build_weft; fi
for _ in $(seq 1 "$ROUNDS"); do
  for receiver in $RECEIVERS; do measure "$receiver"; done
done
for receiver in $HALF_RATE_FOR; do
  if [ -n "${RPS[$receiver]:-}" ]; then half_rate "$receiver"; fi
done

# The floor under any durable accept: one 1 KB append + fdatasync on the file system that
# holds weft's state (the same temporary directory), 2000 times, one after another.
FSYNC=$("$PYTHON" - "$WORK" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync.probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
block, samples = b"x" * 1024, []
for _ in range(2000):
    start = time.perf_counter_ns()
    os.write(fd, block)
    os.fdatasync(fd)
    samples.append(time.perf_counter_ns() - start)
os.close(fd)
os.unlink(path)
samples.sort()
rank = lambda p: samples[min(len(samples), max(1, -(-len(samples) * p // 100))) - 1] / 1e6
print(f"p50_ms={rank(50):.3f} p90_ms={rank(90):.3f} p99_ms={rank(99):.3f} max_ms={samples[-1] / 1e6:.3f}")
PY
)

# ---- report ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
has() { [ -n "${RPS[$1]:-}" ]; }
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), shared" \
  "by the load generator and the receiver under test. Load average before: $LOAD_BEFORE;" \
  "after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency after a ${WARMUP}s warm-up, best of" \
  "$ROUNDS round(s), receivers interleaved: POST of $BODY_BYTES bytes of JSON signed with" \
  "HMAC-SHA256 (hex, X-Signature), keep-alive."
echo "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||') (worker_processes $WORKERS, no access log);" \
  "FastAPI $("$PYTHON" -c 'import fastapi; print(fastapi.__version__)')," \
  "uvicorn $("$PYTHON" -c 'import uvicorn; print(uvicorn.__version__)') (one worker, no access log)," \
  "Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); weft workers: $WORKERS."
echo
printf '| receiver | work per request | requests/s | p50 ms | p99 ms | weft / it | target |\n'
printf '|---|---|---|---|---|---|---|\n'
row() {  # $1: receiver; $2: label; $3: work; $4: target
  has "$1" || return 0
  local r=""
  [ "$1" != weft ] && has weft && r="**$(ratio "${RPS[weft]}" "${RPS[$1]}")**"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" "${RPS[$1]}" "${P50[$1]}" "${P99[$1]}" \
    "$r" "$4"
}
# shellcheck disable=SC2016  # backquotes are Markdown here
{
  row nginx 'nginx `return 200`' 'none (the ceiling)' 'weft >= 0.25x'
  row fastapi 'FastAPI, uvicorn (uvloop, httptools)' 'HMAC check, append + flush, no fsync' 'weft >= 10x'
  row fastapi_h11 'FastAPI, uvicorn (asyncio, h11)' 'HMAC check, append + flush, no fsync' ''
  row weft 'weft `webhook` -> `file`' 'HMAC check, durable accept (fsync), file sink' ''
}
echo
echo "p50 and p99 are wrk's, at saturation ($CONNECTIONS requests always in flight), from the best round."
if has weft && has fastapi; then
  echo "weft does more per request than FastAPI: it answers only once the request is fsynced."
fi
for receiver in $RECEIVERS; do
  has "$receiver" || continue
  line="- $receiver: ${ANSWERS[$receiver]} answers over $ROUNDS round(s), ${OK[$receiver]} of them 2xx"
  [ -n "${STORED[$receiver]:-}" ] && line+="; its file gained ${STORED[$receiver]} lines"
  if [ -n "${FAULTS[$receiver]:-}" ]; then
    line+=";${FAULTS[$receiver]%;}"
  elif [ -n "${STORED[$receiver]:-}" ]; then
    line+=" (each round: one per 2xx, and up to $CONNECTIONS for requests in flight when wrk stopped)"
  fi
  echo "$line"
done

for receiver in $HALF_RATE_FOR; do
  [ -n "${HALF[$receiver]:-}" ] || continue
  h=${HALF[$receiver]}
  echo
  printf '| %s, open loop at half its best rate: %s req/s for %ss, %s connections | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | target |\n' \
    "$receiver" "$(field "$h" target_rps)" "$LATENCY_DURATION" "$CONNECTIONS"
  printf '|---|---|---|---|---|---|---|\n'
  printf '| from scheduled send to the end of the answer | %s | %s | **%s** | %s | %s | p99 < 10 ms |\n' \
    "$(field "$h" p50_ms)" "$(field "$h" p90_ms)" "$(field "$h" p99_ms)" \
    "$(field "$h" p999_ms)" "$(field "$h" max_ms)"
  bad=$(( $(field "$h" bad_status) + $(field "$h" io_errors) + $(field "$h" unanswered) ))
  line="- $(field "$h" sent) requests scheduled after a ${WARMUP}s warm-up, $(field "$h" ok) answered 2xx"
  line+=" ($(field "$h" achieved_rps) req/s)"
  if [ "$bad" -gt 0 ]; then
    line+="; **$bad not**: $(field "$h" bad_status) other status, $(field "$h" io_errors) connection errors,"
    line+=" $(field "$h" unanswered) unanswered"
  fi
  stored=$(field "$h" stored)
  if [ -n "$stored" ]; then
    line+="; its file gained $stored lines for $(field "$h" ok_all) 2xx answers (warm-up included)"
    if [ "$stored" -ne "$(field "$h" ok_all)" ]; then line+=" **MISMATCH**"; fi
  fi
  echo "$line"
done
echo
echo "Floor of a durable accept on this disk (1 KB append + fdatasync, 2000 in a row):" \
  "p50 $(field "$FSYNC" p50_ms) ms, p90 $(field "$FSYNC" p90_ms) ms, p99 $(field "$FSYNC" p99_ms) ms," \
  "max $(field "$FSYNC" max_ms) ms."
