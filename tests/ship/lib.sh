# Helpers shared by the tests/ship scripts (sourced, not run). They read docker/Dockerfile and
# docker/docker-compose.yml as Docker and docker-compose would, without a Docker engine.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A command that fails where no check expected it (set -e) says where, instead of a silent exit.
trap 'echo "FAIL: unexpected error in ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR

# dockerfile_instructions FILE: one line per instruction, "<stage><TAB><instruction>", with
# continuation lines joined and comments dropped; stage counts FROM lines from 1.
dockerfile_instructions() {
  awk '
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ && line == "" { next }
    {
      text = $0
      if (text ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", text); line = line text " "; next }
      line = line text
      sub(/^[[:space:]]+/, "", line)
      if (toupper(line) ~ /^FROM[[:space:]]/) stage++
      print stage "\t" line
      line = ""
    }' "$1"
}

# copy_sources "COPY ...": the sources of a COPY or ADD instruction, one per line; nothing for
# a copy from another stage or image (--from=), whose sources are not in the build context.
copy_sources() {
  local args=${1#* }
  case " $args " in *" --from="*) return 0 ;; esac
  if [[ $args == \[* ]]; then  # JSON form: ["src", ..., "dest"]
    args=$(sed -e 's/^\[//' -e 's/\][[:space:]]*$//' -e 's/"//g' -e 's/,/ /g' <<<"$args")
  fi
  local -a words=()
  local word
  for word in $args; do
    [[ $word == --* ]] || words+=("$word")
  done
  local n=${#words[@]}
  [ "$n" -ge 2 ] || return 0
  printf '%s\n' "${words[@]:0:n-1}"
}

# compose_query CONFIG WHAT [SERVICE]: facts from the output of `docker-compose config`
# (tests/ship/compose_query.py); python3 with PyYAML comes with Debian's docker-compose.
compose_query() {
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/compose_query.py" "$@"
}
