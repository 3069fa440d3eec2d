# Sourced by ./alteran and bench/run-http.sh: the JVM options the server (serve, dev) runs with.
#   alteran_jvm_flags ARCHIVE [JAR]   sets the array ALTERAN_JVM_FLAGS
# Start-up: an application class-data archive (AppCDS, JDK 19+) that the first run writes when it exits
# and later runs map, instead of loading and verifying the same few thousand classes again. A stale one
# (older than JAR) is removed first: the JVM would only report the mismatch and run without it.
# Memory: the serial collector. One account's server keeps a few tens of MB live; on the small machines
# it runs on, the serial collector used no more CPU per request than G1 in the HTTP benchmark and left
# about 30% less resident memory after load (G1 sized its heap to the load and kept it).
alteran_jvm_flags() {
  local archive="$1" jar="${2:-}"
  if [ -n "$jar" ] && [ -f "$archive" ] && [ "$archive" -ot "$jar" ]; then rm -f "$archive"; fi
  ALTERAN_JVM_FLAGS=("-XX:SharedArchiveFile=$archive" -XX:+AutoCreateSharedArchive -Xlog:cds=off -Xlog:cds+dynamic=off -XX:+UseSerialGC)
  # Memory: a small heap that grows with the load. By default it starts at 1/64 of the machine's RAM (384 MB
  # on 24 GB) with a third of it young, and start-up alone fills ~90 MB of that; one account's server holds
  # ~15 MB live. The young generation is fixed at 16 MB: smaller, collections came so often under load
  # (a createRecord allocates a few hundred KB) that they cost more than the memory saved. After a full
  # collection the heap gives back what is more than 40% free.
  ALTERAN_JVM_FLAGS+=(-Xms24m -Xmn16m -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40)
  # glibc keeps memory the JVM frees (start-up's compilations, ~10 MB); JDK 22+ hands it back every 5 s.
  if [ "$(alteran_java_feature)" -ge 22 ] 2>/dev/null; then ALTERAN_JVM_FLAGS+=(-XX:TrimNativeHeapInterval=5000); fi
  # The operator's own options come last, so they win: e.g. ALTERAN_JVM_OPTS="-Xmx256m".
  # shellcheck disable=SC2206 # word splitting is the point
  if [ -n "${ALTERAN_JVM_OPTS:-}" ]; then ALTERAN_JVM_FLAGS+=(${ALTERAN_JVM_OPTS}); fi
}

# The feature version (21, 25, ...) of the JDK in JAVA_HOME, from its release file (no JVM started).
alteran_java_feature() {
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "${JAVA_HOME:-}/release" 2>/dev/null
}
