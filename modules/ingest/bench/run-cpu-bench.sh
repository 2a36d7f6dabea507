#!/usr/bin/env bash
# Runs IngestCpuBench (see its class comment) outside Maven, so the shared build lock is held only
# for the build, not for the minutes the measurement takes.
#
#   modules/ingest/bench/run-cpu-bench.sh [STREAMS=1,10] [SECONDS=60] [extra JVM options...]
#
# e.g. run-cpu-bench.sh 10 30 -Dpekko.io.tcp.direct-buffer-size=256KiB
# Figures go to stdout and modules/ingest/target/ingest-cpu-bench.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
streams=${1:-1,10}
secs=${2:-60}
shift $(( $# < 2 ? $# : 2 ))
cd "$root"
if [ -z "${NO_BUILD:-}" ]; then
  flock /tmp/nrs-mvn.lock mvn -B -o -q -pl modules/ingest -am test-compile
fi
cp=modules/ingest/target/cpfile.txt
if [ ! -f "$cp" ] || [ modules/ingest/pom.xml -nt "$cp" ]; then
  flock /tmp/nrs-mvn.lock mvn -B -o -q -pl modules/ingest dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$root/$cp" >/dev/null
fi
# A snapshot of this checkout's classes (core's too, not the installed nrs-core jar), so builds
# during the run cannot change classes under it.
m="$root/modules"
snap=$(mktemp -d "$m/ingest/target/bench-classes.XXXX")
trap 'rm -rf "$snap"' EXIT
cp -r "$m/ingest/target/test-classes" "$snap/ingest-test"
cp -r "$m/ingest/target/classes" "$snap/ingest"
cp -r "$m/core/target/classes" "$snap/core"
classpath="$snap/ingest-test:$snap/ingest:$snap/core:$(cat "$cp")"
cd modules/ingest
java -Xms256m -Xmx1g -Dbench.streams="$streams" -Dbench.seconds="$secs" "$@" \
  -cp "$classpath" com.nrsgirls.streaming.ingest.IngestCpuBench
