#!/usr/bin/env bash
# Installs the Debian 12 packages weft needs to build, test and run. Idempotent and quiet:
# packages already present are left alone, and apt is only touched when something is missing.
#   scripts/install-deps.sh               everything `make run` and `make test` need
#   scripts/install-deps.sh --build-only  only what compiling the weft binary needs (the build
#                                         stage of docker/Dockerfile: no test services, no Node.js)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

build_only=0
case "${1:-}" in
  "") ;;
  --build-only) build_only=1 ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libssl-dev libpq-dev librdkafka-dev libsqlite3-dev zlib1g-dev libsimdjson-dev libpugixml-dev
  prometheus-cpp-dev libjemalloc-dev
)
if [ "$build_only" -eq 1 ]; then
  exec "$root/scripts/install-packages.sh" "${packages[@]}"
fi

packages+=(
  libgtest-dev libgmock-dev
  # The Postgres CDC tests and bench/cdc.sh start their own throwaway PostgreSQL 15 clusters.
  # (Installing the server may start a default cluster on 5432; weft's tests never use it.)
  postgresql-15 postgresql-client-15
  curl procps
  # tests/ship parses docker/docker-compose.yml with `docker-compose config`, which needs no
  # Docker engine (install-packages.sh skips recommends, so none is installed).
  docker-compose
)
# The S3 tests run s3rver (npm) under Node.js. Debian's nodejs/npm only when no node/npm is on
# the PATH: a Node.js from elsewhere (NodeSource ships npm inside its nodejs) conflicts with them.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

"$root/scripts/install-packages.sh" "${packages[@]}"

# s3rver at the version package-lock.json pins, unless node_modules already holds exactly that
# lock (the stamp is written only after a successful `npm ci`).
s3rver_dir="$root/tests/fakes/s3rver"
stamp="$s3rver_dir/node_modules/.weft-package-lock.json"
if ! cmp -s "$s3rver_dir/package-lock.json" "$stamp"; then
  echo "weft: installing s3rver (npm ci in tests/fakes/s3rver)" >&2
  (cd "$s3rver_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$s3rver_dir/package-lock.json" "$stamp"
fi
