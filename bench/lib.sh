# Helpers the benchmark scripts share; sourced, not run: `. bench/lib.sh`.

# A process of ours that has exited stays a zombie until `wait`, so its state is read rather
# than probed with kill -0: `alive` through ps, `running` from /proc without forking (for
# polling loops).
alive() { [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == [A-Y]* ]]; }
running() {
  local stat
  { read -r -a stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  [ "${stat[2]}" != Z ] && [ "${stat[2]}" != X ]
}

# SIGTERM, 10 s to exit, then SIGKILL (a SIGKILLed nginx master leaves its workers running).
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Seconds from $1 to $2 (both $EPOCHREALTIME values).
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6f", b - a}'; }

# A daemon config for one measurement in $1: state and pipelines below it, the admin API on a
# free port, $WORKERS workers, log level $2 (default info); $3: more top-level YAML.
write_daemon_config() {
  cat >"$1/weft.yaml" <<YAML
state:
  path: $1/state/weft.db
admin:
  listen: 127.0.0.1:0
pipelines:
  dir: $1/pipelines
workers: $WORKERS
log:
  level: ${2:-info}
${3:-}
YAML
}

# await_line FILE PATTERN PID: returns once a line of FILE matches PATTERN (grep -E), or fails
# once process PID has exited without writing one. It costs no CPU while it waits (tail -f
# sleeps on inotify), where polling /api with curl every few ms takes a share of the cores
# from the daemon being measured.
await_line() {
  grep -q -m1 -E "$2" < <(tail --pid="$3" -n +1 -f "$1")
  grep -q -E "$2" "$1"
}

# CPU time from /proc and GNU time, in clock ticks.
CLK_TCK=$(getconf CLK_TCK)
ticks_to_s() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}'; }
# GNU time's output: elapsed, user, system, max RSS (kB).
TIME_FORMAT='%e %U %S %M'
time_ticks() {  # $1: file written by /usr/bin/time; sets TICKS and MAXRSS
  local u s m
  read -r _ u s m <"$1"
  TICKS=$(awk -v u="$u" -v s="$s" -v hz="$CLK_TCK" 'BEGIN {printf "%d", (u + s) * hz + 0.5}')
  MAXRSS=$m
}

# sleep(1) is a process of its own; this waits without forking: a read, with a timeout, from a
# pipe nobody writes to.
exec {NEVER_FD}<> <(:)
nap() { read -r -t "$1" -u "$NEVER_FD" _ || true; }

# The script's background processes (PIDS, which cleanup stops) without $1, once it has ended.
forget_pid() {
  local pid kept=()
  for pid in "${PIDS[@]}"; do [ "$pid" != "$1" ] && kept+=("$pid"); done
  PIDS=("${kept[@]+"${kept[@]}"}")
}

# weft-fake-kafka (tests/fakes/kafka: librdkafka's mock cluster in a process of its own), built
# by the dev preset (the release preset has no tests; the broker's speed is librdkafka's, a
# shared library, whatever the preset). start_fake_kafka DIR starts one broker with its command
# FIFO and output in DIR and sets BROKER (its pid), BROKER_IN (the command fd) and BOOTSTRAP;
# the caller stops it (stop_pid "$BROKER"; its stdin closing also ends it).
start_fake_kafka() {
  cmake --preset dev >/dev/null
  cmake --build --preset dev --target weft-fake-kafka >/dev/null
  mkfifo "$1/broker.in"
  "$PWD/build/dev/tests/fakes/weft-fake-kafka" --brokers 1 <"$1/broker.in" >"$1/broker.out" \
    2>"$1/broker.log" &
  BROKER=$!
  exec {BROKER_IN}>"$1/broker.in"
  until [ -s "$1/broker.out" ]; do nap 0.05; done
  BOOTSTRAP=$(head -n1 "$1/broker.out")
  BROKER_DIR=$1
}
# One command to the broker (`topic NAME PARTITIONS`, ...); waits for its answer, exits on an
# error.
broker() {
  local before answer
  before=$(wc -l <"$BROKER_DIR/broker.out")
  echo "$*" >&"$BROKER_IN"
  until [ "$(wc -l <"$BROKER_DIR/broker.out")" -gt "$before" ]; do nap 0.01; done
  answer=$(tail -n1 "$BROKER_DIR/broker.out")
  [ "$answer" = ok ] || { echo "weft-fake-kafka: $*: $answer" >&2; exit 1; }
}


# ---- a throwaway PostgreSQL cluster (bench/cdc.sh, bench/warehouse.sh) ----
# PG_BINDIR: the server binaries (default: 15, else the highest installed); pg_config --bindir
# may be the client-only directory.
find_pg_bindir() {
  if [ -z "${PG_BINDIR:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
      PG_BINDIR=/usr/lib/postgresql/15/bin
    else
      for dir in /usr/lib/postgresql/*/bin; do  # the highest major version
        [ -x "$dir/initdb" ] || continue
        [ -z "${PG_BINDIR:-}" ] || [ "${dir//[^0-9]/}" -gt "${PG_BINDIR//[^0-9]/}" ] &&
          PG_BINDIR=$dir
      done
    fi
  fi
  [ -x "$PG_BINDIR/initdb" ] || { echo "$0: no initdb in '$PG_BINDIR'" >&2; exit 1; }
}

# PostgreSQL refuses to run as root: the server tools then run as the `postgres` OS user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_pg_cluster DIR [CONF]: initdb in DIR (inside a mktemp work dir), CONF appended to
# postgresql.conf, fsync=$FSYNC (default on), started on a free port on 127.0.0.1 with trust
# auth. Sets PORT, PSQL and sql(); stop it with stop_pg_cluster DIR.
start_pg_cluster() {
  local dir=$1 candidate
  find_pg_bindir
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chmod 711 "$(dirname "$dir")"  # mktemp's 0700 would stop the postgres user at the door
    chown postgres: "$dir"
  fi
  as_pg "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 \
    >"$dir/initdb.log" 2>&1 ||
    { echo "$0: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
# $0
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = ${FSYNC:-on}
max_wal_size = 8GB
checkpoint_timeout = 30min
${2:-}
CONF
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
local replication all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
HBA
  # A port nobody listens on (bash's /dev/tcp connects when somebody does); another process
  # may still take it before the server binds, hence the retries.
  PORT=
  for _ in 1 2 3 4 5; do
    candidate=$((20000 + RANDOM % 30000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then continue; fi
    if as_pg "$PG_BINDIR/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
         -o "-p $candidate" >"$dir/pg_ctl.log" 2>&1; then
      PORT=$candidate
      break
    fi
    grep -q "could not bind\|could not create any TCP/IP sockets" "$dir/postgres.log" || break
  done
  if [ -z "$PORT" ]; then
    echo "$0: PostgreSQL did not start; its log:" >&2
    tail -n 20 "$dir/postgres.log" >&2
    exit 1
  fi
  PSQL="$PG_BINDIR/psql"
}
stop_pg_cluster() {
  if [ -f "$1/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" stop -D "$1/data" -m immediate -w >/dev/null 2>&1 || true
  fi
}
sql() {  # $1: SQL; $2: database (default bench). Prints unaligned rows.
  "$PSQL" "host=127.0.0.1 port=$PORT user=postgres dbname=${2:-bench}" -X -q -A -t \
    -v ON_ERROR_STOP=1 -c "$1"
}
