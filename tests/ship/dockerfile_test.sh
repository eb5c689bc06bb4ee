#!/usr/bin/env bash
# Lints docker/Dockerfile without a Docker engine (hadolint is not packaged in Debian):
#   - a Debian 12 build stage that runs scripts/install-deps.sh, the script `make run` and
#     `make test` run, after copying every script it calls;
#   - every COPY/ADD source exists in the repository and is not excluded by .dockerignore;
#   - a Debian 12 slim runtime stage with a non-root USER, a HEALTHCHECK on /healthz, the state
#     directory as a VOLUME, and the ports of docker/weft.yaml EXPOSEd;
#   - the runtime stage installs the Debian package of every library the weft binary links.
# Usage: dockerfile_test.sh REPO_ROOT WEFT_BINARY
set -euo pipefail
# shellcheck source=tests/ship/lib.sh
source "$(dirname "$0")/lib.sh"

root=${1:?usage: dockerfile_test.sh REPO_ROOT WEFT_BINARY}
weft=${2:?usage: dockerfile_test.sh REPO_ROOT WEFT_BINARY}
dockerfile=$root/docker/Dockerfile
[ -f "$dockerfile" ] || fail "$dockerfile does not exist"
mapfile -t instructions < <(dockerfile_instructions "$dockerfile")

stages=$(printf '%s\n' "${instructions[@]}" | awk -F'\t' 'END { print $1 + 0 }')
[ "$stages" -ge 2 ] || fail "Dockerfile has $stages stage(s); expected a build and a runtime stage"
# in_stage N|last KEYWORD: the instructions of a stage that start with KEYWORD, without the stage.
in_stage() {
  local want=$1
  [ "$want" = last ] && want=$stages
  printf '%s\n' "${instructions[@]}" |
    awk -F'\t' -v s="$want" -v k="$2" 's == $1 && toupper($2) ~ "^" k "[[:space:]]" { print $2 }'
}

# Base images: Debian 12 to build, Debian 12 slim to run.
build_from=$(in_stage 1 FROM | awk '{ print $2 }')
run_from=$(in_stage last FROM | awk '{ print $2 }')
[[ $build_from =~ ^debian:(12|bookworm) ]] || fail "build stage is FROM $build_from, not Debian 12"
[[ $run_from =~ ^debian:(12|bookworm)-slim$ ]] || fail "runtime stage is FROM $run_from, not slim"

# The dependency script: the one the Makefile (the README's two commands) runs.
grep -q '^\s*\./scripts/install-deps\.sh' "$root/Makefile" ||
  fail "Makefile no longer runs ./scripts/install-deps.sh; update this test with the new script"
grep -q 'scripts/install-deps\.sh' "$root/README.md" || fail "README.md does not name the script"
deps_run=$(printf '%s\n' "${instructions[@]}" | awk -F'\t' -v last="$stages" '
  $1 < last && $2 ~ /^RUN .*scripts\/install-deps\.sh/ { print NR; exit }')
[ -n "$deps_run" ] || fail "no build stage RUNs scripts/install-deps.sh (the README's script)"

# What the build context holds (.dockerignore), to check sources against it.
mapfile -t ignored < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
  -e 's#^/##' -e 's#/$##' "$root/.dockerignore" 2>/dev/null | grep -v '^$' | grep -v '^!' || true)
excluded_by() {
  local path=$1 pattern prefix
  for pattern in "${ignored[@]}"; do
    prefix=$path
    while :; do  # a pattern excludes a path when it matches the path or one of its parents
      # shellcheck disable=SC2053  # the pattern is a glob on purpose
      if [[ $prefix == $pattern || $prefix == ${pattern#\*\*/} || $prefix == */${pattern#\*\*/} ]]
      then echo "$pattern"; return 0; fi
      [[ $prefix == */* ]] || break
      prefix=${prefix%/*}
    done
  done
  return 1
}

# Every COPY/ADD source exists, is in the context, and (before the dependency script runs) the
# scripts install-deps.sh calls are among the copied files.
copied_before_deps=()
n=0
for instruction in "${instructions[@]}"; do
  n=$((n + 1))
  line=${instruction#*$'\t'}
  [[ ${line^^} =~ ^(COPY|ADD)[[:space:]] ]] || continue
  while IFS= read -r source; do
    [ -n "$source" ] || continue
    clean=${source#./}
    clean=${clean%/}
    [ -z "$clean" ] && clean=.
    compgen -G "$root/$clean" >/dev/null ||
      fail "Dockerfile: '$line': source '$source' does not exist in the repository"
    if [ "$clean" != . ] && pattern=$(excluded_by "$clean"); then
      fail "Dockerfile: '$line': source '$source' is excluded by .dockerignore ('$pattern')"
    fi
    [ "$n" -lt "$deps_run" ] && copied_before_deps+=("$clean")
  done < <(copy_sources "$line")
done
is_copied_before_deps() {
  local file=$1 copied
  for copied in "${copied_before_deps[@]}"; do
    [[ $copied == . || $file == "$copied" || $file == "$copied"/* ]] && return 0
  done
  return 1
}
# shellcheck disable=SC2016  # '$root' is the literal text in install-deps.sh
called=$(grep -oE '\$root/scripts/[A-Za-z0-9_.-]+' "$root/scripts/install-deps.sh" |
  sed 's#^\$root/##')
for script in scripts/install-deps.sh $called; do
  is_copied_before_deps "$script" ||
    fail "Dockerfile: $script is not copied before the RUN of scripts/install-deps.sh"
done

# The runtime stage: non-root, probed, state on a volume, ports exposed.
user=$(in_stage last USER | tail -n1 | awk '{ print $2 }')
[ -n "$user" ] || fail "the runtime stage has no USER: the daemon would run as root"
[[ ${user%%:*} != root && ${user%%:*} != 0 ]] || fail "the runtime stage runs as USER $user"
in_stage last HEALTHCHECK | grep -q '/healthz' ||
  fail "the runtime stage has no HEALTHCHECK on /healthz"
state_dir=$(awk '/^state:/ { s = 1; next } s && /^[[:space:]]+path:/ { print $2; exit }' \
  "$root/docker/weft.yaml")
[ -n "$state_dir" ] || fail "docker/weft.yaml sets no state.path"
state_dir=${state_dir%/*}
in_stage last VOLUME | grep -qE "[\[ \"]${state_dir}[\" ,\]]|[\[ \"]${state_dir}\$" ||
  fail "the state directory $state_dir of docker/weft.yaml is not a VOLUME of the runtime stage"
exposed=" $(in_stage last EXPOSE | cut -d' ' -f2- | tr '\n' ' ') "
ports=$(sed -nE 's/^[[:space:]]+listen:[^#]*:([0-9]+).*/\1/p' "$root/docker/weft.yaml")
[ -n "$ports" ] || fail "docker/weft.yaml sets no listen address"
for port in $ports; do
  [[ $exposed == *" $port "* || $exposed == *" $port/tcp "* ]] ||
    fail "docker/weft.yaml listens on port $port, which the runtime stage does not EXPOSE"
done

# Every library the binary links comes from a package the runtime stage installs. libc6 and
# libgcc-s1 are in every Debian image; sanitizer runtimes exist only in the asan preset's binary.
installed=" $(in_stage last RUN | grep -oE 'apt-get install[^&;|]*' | sed 's/apt-get install//' |
  tr ' ' '\n' | grep -v '^-' | tr '\n' ' ') "
[ -x "$weft" ] || fail "weft binary $weft is missing or not executable (build the weft target)"
needed=$(readelf -d "$weft" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no shared libraries in $weft"
for soname in $needed; do
  case $soname in libasan.so* | libubsan.so* | libtsan.so* | liblsan.so*) continue ;; esac
  path=$(ldd "$weft" | awk -v so="$soname" '$1 == so { print $3 }')
  [ -n "$path" ] || fail "ldd cannot resolve $soname of $weft"
  package=""
  for candidate in "$path" "/usr$path" "$(readlink -f "$path")" "${path#/usr}"; do
    package=$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1) || true
    [ -n "$package" ] && break
  done
  [ -n "$package" ] || fail "no Debian package owns $path ($soname)"
  case $package in libc6 | libgcc-s1) continue ;; esac
  [[ $installed == *" $package "* ]] ||
    fail "weft links $soname from package $package, which the runtime stage does not install"
done

echo "ok: docker/Dockerfile: ${#instructions[@]} instructions, $stages stages, sources present," \
  "runtime packages cover $(wc -w <<<"$needed") linked libraries"
