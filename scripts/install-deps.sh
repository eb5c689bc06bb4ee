#!/usr/bin/env bash
# Installs the Debian 12 packages weft needs to build, test and run. Idempotent and quiet:
# packages already present are left alone, and apt is only touched when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libssl-dev libpq-dev librdkafka-dev libsqlite3-dev zlib1g-dev libsimdjson-dev libpugixml-dev
  libgtest-dev libgmock-dev prometheus-cpp-dev
  # The Postgres CDC tests and bench/cdc.sh start their own throwaway PostgreSQL 15 clusters.
  # (Installing the server may start a default cluster on 5432; weft's tests never use it.)
  postgresql-15 postgresql-client-15
  curl procps
)

exec "$(dirname "$0")/install-packages.sh" "${packages[@]}"
