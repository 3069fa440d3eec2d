#!/usr/bin/env bash
# The side-by-side HTTP benchmark (see BENCHMARKS.md): Alteran's packaged jar and the reference PDS on
# loopback, driven one at a time with the same load; prints both systems' figures and the ratios.
#   bench/run-http.sh [LoadRun options]     e.g. --measure-sec 5 --repo-records 20000 (a quicker run)
# Alteran is measured on SQLite and on PostgreSQL (an embedded server under the work directory), one
# instance and then two on one database (--two-instances, the default here; --no-postgres leaves it out).
# The reference PDS is ../shared/refpds/refpds beside the checkout (REFPDS=... to use another path).
# The scenarios run twice: on all cores, then each server pinned to CPU 0 and the load generator to
# CPU 1 (taskset; --cores 2 or --cores 1 runs one of the two; without taskset or a second CPU, only the first).
# On a shared machine it first waits (up to QUIET_WAIT_MIN=20 minutes) for the 1-minute load average
# to fall below QUIET_LOAD=2, then measures anyway; the table records the load.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh
REFPDS="${REFPDS:-../shared/refpds/refpds}"
[ -f "$REFPDS" ] || { echo "run-http: the reference PDS script is not at $REFPDS (set REFPDS)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "run-http: the reference PDS needs Node.js and npm" >&2; exit 1; }

echo "run-http: building the server jar and the load generator..." >&2
./mvnw -q -B -ntp -DskipTests -pl server,bench -am package >&2
"$REFPDS" install >&2 # first use: installs the reference PDS from the npm registry (a few minutes)

QUIET_WAIT_MIN="${QUIET_WAIT_MIN:-20}"
QUIET_LOAD="${QUIET_LOAD:-2}"
for ((i = 0; i < QUIET_WAIT_MIN; i++)); do
  load="$(cut -d' ' -f1 /proc/loadavg)"
  awk -v l="$load" -v q="$QUIET_LOAD" 'BEGIN { exit !(l < q) }' && break
  echo "run-http: load average $load, waiting for it to fall below $QUIET_LOAD ($i of $QUIET_WAIT_MIN min)" >&2
  sleep 60
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/alteran-http-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# Alteran runs with the launcher's JVM options: LoadRun asks bin/jvm-flags.sh for them before each start
# (its start-up cache lives in the work directory: the first start writes it, the restarts use it).
FLAGS=()
if ! command -v taskset >/dev/null 2>&1 || [ "$(nproc)" -lt 2 ]; then
  echo "run-http: no taskset or a single CPU: the one-core mode is left out" >&2
  FLAGS+=(--cores 2) # before "$@", so an explicit --cores still wins
fi
"$JAVA_HOME/bin/java" -cp bench/target/benchmarks.jar dev.alteran.bench.http.LoadRun \
  --work "$WORK" --reference-script "$REFPDS" "${FLAGS[@]}" --out bench/target/http-results.md --two-instances "$@"
