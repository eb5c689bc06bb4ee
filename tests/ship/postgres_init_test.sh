#!/usr/bin/env bash
# Runs docker/postgres/init/ as the postgres image's entrypoint would (on an empty database
# `shop`, with POSTGRES_USER, POSTGRES_DB and WEFT_PG_PASSWORD set) on a throwaway PostgreSQL 15
# with wal_level=logical, then checks what the compose stack promises weft: the role weft can
# stream the publication weft_shop with the postgres_cdc source (snapshot, then an update with
# its before-image), and owns the schema analytics, where its new tables land.
# Usage: postgres_init_test.sh REPO_ROOT WEFT_BINARY
set -euo pipefail
# shellcheck source=tests/ship/lib.sh
source "$(dirname "$0")/lib.sh"

root=${1:?usage: postgres_init_test.sh REPO_ROOT WEFT_BINARY}
weft=${2:?usage: postgres_init_test.sh REPO_ROOT WEFT_BINARY}
bin=/usr/lib/postgresql/15/bin
[ -x "$weft" ] || fail "weft binary $weft is missing or not executable (build the weft target)"
[ -x "$bin/initdb" ] || fail "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)"

tmp=$(mktemp -d)
weft_pid=""
cleanup() {
  [ -n "$weft_pid" ] && kill -KILL "$weft_pid" 2>/dev/null
  [ -f "$tmp/data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$tmp/data" -m immediate stop \
    >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
# PostgreSQL refuses to run as root.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -ne 0 ] || chown postgres "$tmp"

# Unix socket only: no TCP port to collide with anything.
export PGHOST=$tmp PGPORT=5432
as_postgres "$bin/initdb" -D "$tmp/data" -U postgres --auth=trust >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; fail "initdb failed"; }
as_postgres "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 start -o \
  "-c listen_addresses='' -k $tmp -c wal_level=logical -c max_wal_senders=4" >/dev/null ||
  { cat "$tmp/server.log" >&2; fail "PostgreSQL did not start"; }
as_postgres env PGHOST="$PGHOST" PGPORT="$PGPORT" "$bin/createdb" -U postgres shop

# In file-name order, as the entrypoint does. Fed on standard input: the user postgres may not
# be able to read the checkout.
for script in "$root"/docker/postgres/init/*; do
  case $script in
    *.sh) as_postgres env PGHOST="$PGHOST" PGPORT="$PGPORT" POSTGRES_USER=postgres \
      POSTGRES_DB=shop WEFT_PG_PASSWORD="it's a \"test\" password" sh -s <"$script" ;;
    *.sql) as_postgres env PGHOST="$PGHOST" PGPORT="$PGPORT" \
      "$bin/psql" -q -v ON_ERROR_STOP=1 -U postgres -d shop -f - <"$script" ;;
    *) fail "unexpected file in docker/postgres/init: $script" ;;
  esac >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; fail "${script#"$root"/} failed"; }
done
sql_as() {  # sql_as ROLE SQL: one value
  "$bin/psql" -X -qAt -v ON_ERROR_STOP=1 -U "$1" -d shop -c "$2"
}

probe="CREATE TABLE ship_probe (x int);
  SELECT schemaname FROM pg_tables WHERE tablename = 'ship_probe'"
[ "$(sql_as weft "$probe")" = analytics ] ||
  fail "tables weft creates do not land in the schema analytics"
[ "$(sql_as weft 'SELECT count(*) FROM analytics.scores JOIN customers USING (id)')" -gt 0 ] ||
  fail "analytics.scores has no rows for customers to read back"

mkdir -p "$tmp/weft/pipelines"
cat >"$tmp/weft/weft.yaml" <<EOF
state: {path: $tmp/weft/weft.db}
admin: {listen: 127.0.0.1:0}
pipelines: {dir: pipelines}
EOF
cat >"$tmp/weft/pipelines/shop-cdc.yaml" <<EOF
name: shop-cdc
source:
  type: postgres_cdc
  dsn: 'host=$tmp port=$PGPORT dbname=shop user=weft'
  tables: [public.customers, public.orders]
  publication: {name: weft_shop, autocreate: disabled}
sink:
  type: file
  path: $tmp/weft/changes.jsonl
checkpoint: {interval: 100ms}
EOF
"$weft" run --config "$tmp/weft/weft.yaml" >"$tmp/weft/run.log" 2>&1 &
weft_pid=$!

rows=$(sql_as postgres 'SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders)')
delivered() { { wc -l <"$tmp/weft/changes.jsonl"; } 2>/dev/null || echo 0; }
wait_for_lines() {  # wait_for_lines N: the sink file holds N lines within 30 s
  for _ in $(seq 300); do
    [ "$(delivered)" -ge "$1" ] && return 0
    kill -0 "$weft_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$tmp/weft/run.log" >&2
  fail "weft's postgres_cdc source delivered $(delivered) of $1 changes from the seeded database"
}
wait_for_lines "$rows"
sql_as postgres "UPDATE customers SET status = 'blocked' WHERE id = 1" >/dev/null
wait_for_lines $((rows + 1))
tail -n1 "$tmp/weft/changes.jsonl" | grep -q '"before":{"id":1,.*"status":"active"' ||
  fail "the update arrived without its before-image (REPLICA IDENTITY FULL): $(tail -n1 \
    "$tmp/weft/changes.jsonl")"
kill -TERM "$weft_pid"
wait "$weft_pid" || fail "weft did not drain cleanly: $(tail -n3 "$tmp/weft/run.log")"
weft_pid=""

echo "ok: docker/postgres/init: weft streamed $rows snapshot rows and an update from weft_shop"
