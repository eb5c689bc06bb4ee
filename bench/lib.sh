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
