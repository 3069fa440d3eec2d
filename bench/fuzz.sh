#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read untrusted bytes, with Jazzer: each @FuzzTest
# target runs in fuzzing mode for a set time (one JVM per target: Jazzer fuzzes one target per JVM).
# The normal build only replays the saved inputs (src/test/resources/<package>/<Class>Inputs/<method>/).
# Targets live in atproto (the protocol's decoders) and pds (what the server does with requests and imports).
#   bench/fuzz.sh [SECONDS] [Class#method ...]     default 300 s each, every target
# A finding fails the target; Jazzer saves the input that triggered it in the target's Inputs
# directory, where it stays as a regression test. The growing corpus is kept in <module>/.cifuzz-corpus/.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../bin/find-java.sh
. bin/find-java.sh

SECONDS_EACH="${1:-300}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(
    DagCborFuzzTest#decodeIsStrictAndCanonical
    DagCborFuzzTest#cborAsJsonAgreesWithDecode
    CarReaderFuzzTest#readOnlyThrowsCarException
    RepoDecodeFuzzTest#commitDecodeOnlyThrowsRepoException
    RepoDecodeFuzzTest#mstNodeDecodeOnlyThrowsRepoException
    RecordValidationFuzzTest#validationAnswersAndValidRecordsRoundTrip
    PlcFuzzTest#auditLogParsesAndVerifiesOrThrowsPlcException
    RepoImportFuzzTest#refusedImportWritesNothing
    XrpcInputFuzzTest#queryAndBodyAreAcceptedOrRefusedWith4xx
    AuthFuzzTest#authorizationHeaderOnlyYieldsIssuedTokensOr4xx
    AuthFuzzTest#tokensVerifyOnlyWhenIssued
    DpopFuzzTest#proofIsSignedAndUsedOnceOrRefused
    DidDocumentFuzzTest#documentIsReadOrIgnoredNeverThrows
    HeaderFuzzTest#headersParseOr400NeverThrow
  )
fi

LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT
./mvnw -o -B -ntp -pl pds -am test-compile -Dspotless.skip >"$LOGS/compile.log" 2>&1 || { cat "$LOGS/compile.log"; exit 1; }

failed=0
printf '%-55s %8s %12s %8s %8s %s\n' target seconds executions cov ft findings
for t in "${TARGETS[@]}"; do
  log="$LOGS/${t//#/_}.log"
  # The module whose tests hold the target; pds needs atproto from the reactor (-am), where no test matches.
  src="$(find atproto/src/test/java pds/src/test/java -name "${t%%#*}.java" | head -1)"
  module="${src%%/*}"
  [ -n "$src" ] || { printf '%-55s no such target\n' "$t"; failed=1; continue; }
  modules=(-pl "$module"); [ "$module" = atproto ] || modules+=(-am)
  # JAZZER_* settings reach Jazzer in the forked test JVM through its environment.
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${SECONDS_EACH}s" JAZZER_INSTRUMENTATION_INCLUDES='dev.alteran.**' \
    ./mvnw -o -B -ntp "${modules[@]}" surefire:test -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false \
    -DargLine=-Xmx1g >"$log" 2>&1
  status=$?
  # libFuzzer's last status line ("#N DONE cov: C ft: F ..." at the end, "#N NEW cov: ..." when a
  # finding stops it early) and its summary "Done N runs in S second(s)".
  done_line="$(grep -E '^#[0-9]+[[:space:]].* cov: ' "$log" | tail -1)"
  runs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
  [ -n "$runs" ] || runs="$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$done_line")"
  secs="$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
  # libFuzzer saves each finding ("Test unit written to <Inputs dir>/crash-...").
  findings="$(grep -c 'Test unit written to' "$log")"
  if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then findings="? (exit $status)"; fi
  printf '%-55s %8s %12s %8s %8s %s\n' "$t" "${secs:--}" "${runs:--}" "${cov:--}" "${ft:--}" "$findings"
  if [ "$status" -ne 0 ]; then
    failed=1
    grep -o 'Test unit written to .*' "$log" | sed 's/^/   /'
    grep -E '^\[ERROR\]   .*»' "$log" | head -10
    cp "$log" "$ROOT/$module/target/fuzz-${t//#/_}.log" && echo "   full log: $module/target/fuzz-${t//#/_}.log"
  fi
done
exit "$failed"
