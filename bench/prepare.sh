# Sourced by bench/run and bench/soak: installs what is missing and makes sure the node's jar is
# there. Expects $root (the repository) to be set.

# bench_install NEED:PACKAGE... installs (Debian, with sudo unless root) the package of each need
# that is missing: a command not on the PATH, or a file (an absolute path) that does not exist.
bench_install() {
  local sudo_cmd="" missing=() pair
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  for pair in "$@"; do
    local need="${pair%%:*}"
    if [ "${need#/}" != "$need" ]; then
      [ -e "$need" ] || missing+=("${pair#*:}")
    else
      command -v "$need" >/dev/null 2>&1 || missing+=("${pair#*:}")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# bench_node_jar [1]: builds the node when its jar is missing (or when asked); a jar older than
# the sources is used as it is, with a warning (the results record the commit and whether the jar
# was stale).
bench_node_jar() {
  local jar="$root/modules/api/target/nrs-node.jar"
  if [ ! -f "$jar" ] || [ "${1:-0}" -eq 1 ]; then
    echo "bench: building the node" >&2
    local mvn_args=(-B -q -DskipTests -Dspotless.check.skip=true package)
    (cd "$root" && { flock /tmp/nrs-mvn.lock mvn -o "${mvn_args[@]}" >&2 || flock /tmp/nrs-mvn.lock mvn "${mvn_args[@]}" >&2; })
  elif [ -n "$(python3 "$root/bench/harness/staleness.py")" ]; then
    echo "bench: WARNING: $(python3 "$root/bench/harness/staleness.py") is newer than the node's jar built from it; using the jars as built (bench/run --build rebuilds)" >&2
  fi
}
