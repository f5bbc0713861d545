#!/usr/bin/env bash
# Installs the pinned tuf-js (package-lock.json) for the interop test, when missing.
# Needs node >= 20.17 and npm; fails (does not skip) without them.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "tuf-js interop: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "tuf-js interop: npm is not installed" >&2; exit 1; }
if [[ ! -d node_modules/tuf-js || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
