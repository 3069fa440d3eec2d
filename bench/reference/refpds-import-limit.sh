#!/usr/bin/env bash
# The reference PDS with its importRepo limit raised, for the HTTP benchmark's import of a CAR over its
# default 5 MiB. Installed by the refpds script, started from the same installation:
#   REFPDS=path/to/refpds MAX_IMPORT_SIZE=BYTES refpds-import-limit.sh start PORT
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$REFPDS" install >/dev/null
cd "${REFPDS_HOME:-$HOME/.cache/refpds}"
PORT="$2" NODE_PATH="$PWD/node_modules" exec node "$HERE/start-ref-import.cjs"
