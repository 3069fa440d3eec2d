# Sourced by ./alteran and ./mvnw: exports JAVA_HOME for a JDK >= 21.
# Order: $JAVA_HOME, the java on PATH, then the JDKs under /usr/lib/jvm (newest first).
# Plain bash where it can be: every process started here (a sed, a dirname, a subshell) was part of each
# launch's start-up, ~80 ms of it in all.
# jdk_major DIR: sets JDK_MAJOR to the feature release of the JDK at DIR, from its release file (asking the
# java itself starts a JVM), else from the java; empty if neither tells.
jdk_major() {
  JDK_MAJOR=""
  local line v=""
  if [ -f "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      if [[ $line =~ ^JAVA_VERSION=\"([^\"]*)\" ]]; then v="${BASH_REMATCH[1]}"; break; fi
    done < "$1/release"
  fi
  [ -n "$v" ] || v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  v="${v#1.}"; v="${v%%[.+-]*}"
  if [[ $v =~ ^[0-9]+$ ]]; then JDK_MAJOR="$v"; fi
}
is_jdk21() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && jdk_major "$1" && [ "${JDK_MAJOR:-0}" -ge 21 ]; }
# find_jdk: sets ALTERAN_JDK, or leaves it empty.
find_jdk() {
  ALTERAN_JDK=""
  if [ -n "${JAVA_HOME:-}" ] && is_jdk21 "$JAVA_HOME"; then ALTERAN_JDK="$JAVA_HOME"; return; fi
  local javac home d
  if javac="$(type -P javac)"; then
    javac="$(readlink -f "$javac")"; home="${javac%/bin/javac}"
    if is_jdk21 "$home"; then ALTERAN_JDK="$home"; return; fi
  fi
  for d in $(printf '%s\n' /usr/lib/jvm/*/ | sort -rV); do
    d="${d%/}"; if is_jdk21 "$d"; then ALTERAN_JDK="$d"; return; fi
  done
}
find_jdk
if [ -z "$ALTERAN_JDK" ]; then
  echo "alteran: a JDK 21 or newer is needed; install one (e.g. apt-get install openjdk-21-jdk) or set JAVA_HOME to it" >&2
  exit 1
fi
export JAVA_HOME="$ALTERAN_JDK"
ALTERAN_JDK_MAJOR="$JDK_MAJOR" # is_jdk21 read it for the JDK it chose, last
export PATH="$JAVA_HOME/bin:$PATH"
