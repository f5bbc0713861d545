#!/usr/bin/env bash
# Installs the pinned SARIF schema validator (package-lock.json) for the admit test, when missing.
# Needs node and npm; fails (does not skip) without them. Install scripts are not run: only the
# schema file of the SARIF SDK package is used.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "sarif validator: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "sarif validator: npm is not installed" >&2; exit 1; }
if [[ ! -d node_modules/ajv || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
