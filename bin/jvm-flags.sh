# Sourced by ./alteran (and by the HTTP benchmark before each start), after bin/find-java.sh: the JVM options the server (serve, dev) runs with.
#   alteran_jvm_flags CACHE [JAR]   sets the array ALTERAN_JVM_FLAGS for the JDK in $JAVA_HOME
# Start-up: the first run of a jar is the training run. When it stops (Ctrl-C, SIGTERM), its JVM writes
# what it loaded to a cache, CACHE.aot or CACHE.jsa, that later runs map instead of loading, verifying
# and linking the same few thousand classes again (see "Start-up" in the README).
# Memory: the serial collector. One account's server keeps a few tens of MB live; on the small machines
# it runs on, the serial collector used no more CPU per request than G1 in the HTTP benchmark and left
# about 30% less resident memory after load (G1 sized its heap to the load and kept it).
alteran_jvm_flags() {
  local archive="$1" jar="${2:-}"
  ALTERAN_JVM_FLAGS=(-XX:+UseSerialGC)
  alteran_startup_flags "$archive" "$jar"
}

# JDK 25+: the ahead-of-time cache (JEP 483/514/515: classes loaded and linked, method profiles), which a
# child JVM assembles as the training run exits. JDK 21-24: an AppCDS archive (AutoCreateSharedArchive).
# A cache older than JAR goes first: the JVM would refuse it and never write a new one. So does an AOT
# cache older than the JDK (upgraded in place), and one whose write was cut short: the JVM removes
# CACHE.aot.config only once the cache is complete.
# Whatever the file holds, the JVM starts without it rather than fail (AOTMode auto); its logs stay off.
alteran_startup_flags() {
  local base="$1" jar="$2" cache
  if [ "$(jdk_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    cache="$base.aot"
    if [ -f "$cache.config" ]; then rm -f "$cache" "$cache.config"; fi
    if [ -n "$jar" ] && [ -f "$cache" ] && [ "$cache" -ot "$jar" ]; then rm -f "$cache"; fi
    # (a package keeps the JDK's own file times: its installation shows in the status change time)
    if [ -f "$cache" ] && [ "$(stat -c %Z "$JAVA_HOME/lib/modules" 2>/dev/null || echo 0)" -gt "$(stat -c %Y "$cache")" ]; then rm -f "$cache"; fi
    if [ -f "$cache" ]; then ALTERAN_JVM_FLAGS+=("-XX:AOTCache=$cache"); else ALTERAN_JVM_FLAGS+=("-XX:AOTCacheOutput=$cache"); fi
    ALTERAN_JVM_FLAGS+=(-Xlog:aot=off -Xlog:cds=off)
  else
    cache="$base.jsa"
    if [ -n "$jar" ] && [ -f "$cache" ] && [ "$cache" -ot "$jar" ]; then rm -f "$cache"; fi
    ALTERAN_JVM_FLAGS+=("-XX:SharedArchiveFile=$cache" -XX:+AutoCreateSharedArchive -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
}
