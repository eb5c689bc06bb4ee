#!/usr/bin/env bash
# Runs `weft validate` on what the weft container of docker/docker-compose.yml sees: the files
# the runtime stage of docker/Dockerfile copies in, overlaid by the compose file's bind mounts,
# laid out under a temporary root at their container paths, with exactly the environment the
# container gets (the Dockerfile's ENV plus the compose environment, from docker/.env.example).
# So the daemon config, every pipeline file the compose file mounts, and every variable those
# files use are checked together; an empty pipelines directory still checks the daemon config.
# Usage: compose_validate_test.sh REPO_ROOT WEFT_BINARY
set -euo pipefail
# shellcheck source=tests/ship/lib.sh
source "$(dirname "$0")/lib.sh"

root=${1:?usage: compose_validate_test.sh REPO_ROOT WEFT_BINARY}
weft=${2:?usage: compose_validate_test.sh REPO_ROOT WEFT_BINARY}
service=weft
[ -x "$weft" ] || fail "weft binary $weft is missing or not executable (build the weft target)"
command -v docker-compose >/dev/null ||
  fail "docker-compose is not installed (scripts/install-deps.sh installs Debian's package)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
image=$tmp/root

env -i PATH="$PATH" HOME="$tmp" docker-compose --env-file "$root/docker/.env.example" \
  -f "$root/docker/docker-compose.yml" config >"$tmp/config.yml" 2>"$tmp/stderr" || {
  cat "$tmp/stderr" >&2
  fail "docker-compose config rejects docker/docker-compose.yml (see ship_compose_config)"
}

# place SOURCE TARGET: SOURCE (file or directory) at TARGET inside the image root, replacing
# what was there, as a mount hides the image's content.
place() {
  local target=$image$2
  [ -e "$1" ] || fail "$1 is mounted or copied at $2 but does not exist"
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  cp -RL "$1" "$target"
}

# The runtime stage of the Dockerfile: its COPYs from the repository, its ENV and its CMD.
mapfile -t instructions < <(dockerfile_instructions "$root/docker/Dockerfile")
last=$(printf '%s\n' "${instructions[@]}" | awk -F'\t' 'END { print $1 }')
container_env=()
cmd=()
for instruction in "${instructions[@]}"; do
  [ "${instruction%%$'\t'*}" = "$last" ] || continue
  line=${instruction#*$'\t'}
  case ${line%% *} in
    COPY)
      mapfile -t sources < <(copy_sources "$line")
      [ ${#sources[@]} -eq 1 ] || continue  # only single-source copies (all the stage has)
      place "$root/${sources[0]}" "${line##* }"
      ;;
    ENV) container_env+=("${line#ENV }") ;;  # KEY=value form
    CMD) mapfile -t cmd < <(sed -e 's/^CMD[[:space:]]*\[//' -e 's/\][[:space:]]*$//' <<<"$line" |
      tr ',' '\n' | sed -e 's/^[[:space:]]*"//' -e 's/"[[:space:]]*$//') ;;
  esac
done

# The compose file's bind mounts over it, and its environment.
mounts=0
while IFS=$'\t' read -r _ source target; do
  place "$source" "$target"
  mounts=$((mounts + 1))
done < <(compose_query "$tmp/config.yml" binds "$service")
[ "$mounts" -gt 0 ] || fail "service $service mounts nothing: no pipelines to validate"
while IFS= read -r -d '' assignment; do
  container_env+=("$assignment")
done < <(compose_query "$tmp/config.yml" env "$service")
mapfile -d '' -t compose_cmd < <(compose_query "$tmp/config.yml" command "$service")
[ ${#compose_cmd[@]} -gt 0 ] && cmd=("${compose_cmd[@]}")

# The daemon config the container runs with: the word after --config.
config=""
for ((i = 0; i < ${#cmd[@]} - 1; i++)); do
  [ "${cmd[i]}" = --config ] && config=${cmd[i + 1]}
done
[ -n "$config" ] || fail "cannot tell the container's --config from its command: ${cmd[*]}"
[ -f "$image$config" ] || fail "the container's config $config is neither copied nor mounted"

echo "validating $config with: $(find "$image" -type f -name '*.y*ml' | sed "s#^$image##" |
  sort | xargs)"
if ! env -i PATH=/usr/bin:/bin HOME="$tmp" "${container_env[@]}" \
  "$weft" validate --config "$image$config" >"$tmp/out" 2>&1; then
  sed "s#$image##g" "$tmp/out" >&2
  fail "weft validate rejects what the compose stack's weft container would load" \
    "(paths above are container paths; a variable that is not set must be added to the" \
    "weft service's environment in docker/docker-compose.yml and to docker/.env.example)"
fi
sed "s#$image##g" "$tmp/out"
