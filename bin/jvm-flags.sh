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
}
