#!/usr/bin/env bash
# Checks docker/docker-compose.yml without a Docker engine:
#   - `docker-compose config` accepts it with the placeholders of docker/.env.example, and no
#     variable it uses is left unset;
#   - without an env file it refuses, naming .env.example: secrets have no built-in values;
#   - every file or directory it bind-mounts exists (docker would mount an empty directory);
#   - Prometheus scrapes weft's admin port, and every weft_ metric the alert rules use is one
#     that weft registers in src/.
# Usage: compose_test.sh REPO_ROOT
set -euo pipefail
# shellcheck source=tests/ship/lib.sh
source "$(dirname "$0")/lib.sh"

root=${1:?usage: compose_test.sh REPO_ROOT}
compose=$root/docker/docker-compose.yml
command -v docker-compose >/dev/null ||
  fail "docker-compose is not installed (scripts/install-deps.sh installs Debian's package)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A clean environment, so that variables of the caller's shell cannot stand in for the file's.
compose_config() {
  env -i PATH="$PATH" HOME="$tmp" docker-compose --env-file "$1" -f "$compose" config
}

compose_config "$root/docker/.env.example" >"$tmp/config.yml" 2>"$tmp/stderr" || {
  cat "$tmp/stderr" >&2
  fail "docker-compose config rejects docker/docker-compose.yml with docker/.env.example"
}
if grep -i 'variable is not set' "$tmp/stderr" >&2; then
  fail "docker/docker-compose.yml uses a variable that docker/.env.example does not set"
fi

: >"$tmp/empty.env"
if compose_config "$tmp/empty.env" >/dev/null 2>"$tmp/stderr"; then
  fail "docker/docker-compose.yml parses without any env file: a secret has a built-in value"
fi
grep -q '\.env\.example' "$tmp/stderr" || {
  cat "$tmp/stderr" >&2
  fail "without an env file, docker-compose's error does not point to docker/.env.example"
}

binds=0
while IFS=$'\t' read -r service source target; do
  [ -e "$source" ] || fail "service $service mounts $source at $target, which does not exist"
  binds=$((binds + 1))
done < <(compose_query "$tmp/config.yml" binds)
[ "$binds" -gt 0 ] || fail "no bind mounts found: did compose_query.py misread the config?"

admin_port=$(sed -nE 's/^[[:space:]]+listen:[[:space:]]+[^#]*:([0-9]+).*/\1/p' \
  "$root/docker/weft.yaml" | head -n1)
prometheus=$root/docker/prometheus/prometheus.yml
grep -q "weft:$admin_port" "$prometheus" ||
  fail "docker/prometheus/prometheus.yml does not scrape weft:$admin_port (docker/weft.yaml)"

alerts=$root/docker/prometheus/alerts.yml
metrics=$(grep -v '^[[:space:]]*#' "$alerts" | grep -oE '\bweft_[a-z0-9_]+' | sort -u)
[ -n "$metrics" ] || fail "$alerts uses no weft_ metric"
for metric in $metrics; do
  base=$(sed -E 's/_(bucket|count|sum)$//' <<<"$metric")
  grep -rqF "\"$metric\"" "$root/src" || grep -rqF "\"$base\"" "$root/src" ||
    fail "docker/prometheus/alerts.yml uses $metric, which weft does not export" \
      "(no \"$base\" in src/)"
done

services=$(compose_query "$tmp/config.yml" services | xargs)
echo "ok: docker/docker-compose.yml: services $services, $binds bind mounts present," \
  "alert rules use $(wc -w <<<"$metrics") weft metrics"
