#!/usr/bin/env bash
# The load tests: JUnit tests tagged "load" (throughput and timing-ratio bounds, e.g. FirehoseLoadTest),
# which the normal build leaves out (the parent pom's excludedGroups) because their figures move with
# the machine's load. See BENCHMARKS.md.
#   bench/load-tests.sh [Maven options]     e.g. -Dtest=FirehoseLoadTest -Dload.fast=200
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh

echo "== machine: $(nproc) cores; load average:$(uptime | sed 's/.*load average://')"
START="$(mktemp)"
trap 'rm -f "$START"' EXIT
status=0
# -DexcludedGroups= lifts the normal build's exclusion; modules without load tests run none.
./mvnw -B -ntp -pl server -am test -Dgroups=load -DexcludedGroups= \
  -Dsurefire.failIfNoSpecifiedTests=false "$@" || status=$?
echo "== load average after:$(uptime | sed 's/.*load average://')"
# The tests print their figures; surefire keeps them, among the server's JSON log lines, in the reports directory.
find atproto pds server -path '*/target/surefire-reports/*-output.txt' -newer "$START" -print0 |
  while IFS= read -r -d '' f; do echo "== $f"; grep -v '^{"@timestamp"' "$f" || true; done
exit "$status"
