# Sourced by ./alteran and ./mvnw: exports JAVA_HOME for a JDK >= 21.
# Order: $JAVA_HOME, the java on PATH, then the JDKs under /usr/lib/jvm (newest first).
# The feature release of the JDK at $1: from its release file (asking the java itself starts a JVM, a
# noticeable part of the launcher's start-up), else from the java.
jdk_major() {
  local v=""
  [ -f "$1/release" ] && v="$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release")"
  [ -n "$v" ] || v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  v="${v#1.}"; echo "${v%%[.+-]*}"
}
is_jdk21() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ "$(jdk_major "$1")" -ge 21 ] 2>/dev/null; }
find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && is_jdk21 "$JAVA_HOME"; then echo "$JAVA_HOME"; return; fi
  if command -v javac >/dev/null 2>&1; then
    local home; home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
    if is_jdk21 "$home"; then echo "$home"; return; fi
  fi
  local d
  for d in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    d="${d%/}"; if is_jdk21 "$d"; then echo "$d"; return; fi
  done
}
ALTERAN_JDK="$(find_jdk)"
if [ -z "$ALTERAN_JDK" ]; then
  echo "alteran: a JDK 21 or newer is needed; install one (e.g. apt-get install openjdk-21-jdk) or set JAVA_HOME to it" >&2
  exit 1
fi
export JAVA_HOME="$ALTERAN_JDK"
ALTERAN_JDK_MAJOR="$(jdk_major "$ALTERAN_JDK")"
export PATH="$JAVA_HOME/bin:$PATH"
