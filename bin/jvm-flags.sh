# Sourced by ./alteran (and by the HTTP benchmark before each start), after bin/find-java.sh: the JVM options the server (serve, dev) runs with.
#   alteran_jvm_flags CACHE [JAR]   sets the array ALTERAN_JVM_FLAGS for the JDK find-java.sh chose ($JAVA_HOME)
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
  # Memory: a small heap that grows with the load. By default it starts at 1/64 of the machine's RAM (384 MB
  # on 24 GB) with a third of it young, and start-up alone fills ~90 MB of that; one account's server holds
  # ~15 MB live. The young generation is fixed at 16 MB: smaller, collections came so often under load
  # (a createRecord allocates a few hundred KB) that they cost more than the memory saved. After a full
  # collection the heap gives back what is more than 40% free.
  ALTERAN_JVM_FLAGS+=(-Xms24m -Xmn16m -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40)
  # glibc keeps memory the JVM frees: start-up's JIT compilations free up to ~20 MB over the first seconds.
  # JDK 22+ hands it back every second (every 5 s, a server 5 s after start still held it about half the time).
  if [ "$ALTERAN_JDK_MAJOR" -ge 22 ]; then ALTERAN_JVM_FLAGS+=(-XX:TrimNativeHeapInterval=1000); fi
  # The operator's own options come last, so they win: e.g. ALTERAN_JVM_OPTS="-Xmx256m".
  # shellcheck disable=SC2206 # word splitting is the point
  if [ -n "${ALTERAN_JVM_OPTS:-}" ]; then ALTERAN_JVM_FLAGS+=(${ALTERAN_JVM_OPTS}); fi
}

# JDK 25+: the ahead-of-time cache (JEP 483/514/515: classes loaded and linked, method profiles), which a
# child JVM assembles as the training run exits. JDK 21-24: an AppCDS archive (AutoCreateSharedArchive).
# A cache older than JAR goes first: the JVM would refuse it and never write a new one. So does an AOT
# cache older than the JDK (upgraded in place), and one whose write was cut short: the JVM removes
# CACHE.aot.config only once the cache is complete.
# Whatever the file holds, the JVM starts without it rather than fail (AOTMode auto); its logs stay off.
alteran_startup_flags() {
  local base="$1" jar="$2" cache
  # A training run that never started serving (a configuration error, --help) wrote a cache of almost
  # nothing, which every later run would map: the marker it leaves makes the next run train again. The
  # server removes the marker once it serves (the property names it).
  if [ -f "$base.training" ]; then rm -f "$base.aot" "$base.jsa" "$base.training"; fi
  if [ "$ALTERAN_JDK_MAJOR" -ge 25 ]; then
    cache="$base.aot"
    if [ -f "$cache.config" ]; then rm -f "$cache" "$cache.config"; fi
    if [ -n "$jar" ] && [ -f "$cache" ] && [ "$cache" -ot "$jar" ]; then rm -f "$cache"; fi
    # (a package keeps the JDK's own file times: its installation shows in the status change time)
    if [ -f "$cache" ] && [ "$(stat -c %Z "$JAVA_HOME/lib/modules" 2>/dev/null || echo 0)" -gt "$(stat -c %Y "$cache")" ]; then rm -f "$cache"; fi
    if [ -f "$cache" ]; then ALTERAN_JVM_FLAGS+=("-XX:AOTCache=$cache"); else ALTERAN_JVM_FLAGS+=("-XX:AOTCacheOutput=$cache"); alteran_training "$base"; fi
    ALTERAN_JVM_FLAGS+=(-Xlog:aot=off -Xlog:cds=off)
  else
    cache="$base.jsa"
    if [ -n "$jar" ] && [ -f "$cache" ] && [ "$cache" -ot "$jar" ]; then rm -f "$cache"; fi
    [ -f "$cache" ] || alteran_training "$base"
    ALTERAN_JVM_FLAGS+=("-XX:SharedArchiveFile=$cache" -XX:+AutoCreateSharedArchive -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
}

# This run trains the cache: its marker stays unless the server starts serving.
alteran_training() {
  { : > "$1.training"; } 2>/dev/null && ALTERAN_JVM_FLAGS+=("-Dalteran.training=$1.training")
}
