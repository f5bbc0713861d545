#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. set-up (apt), build, every unit and integration test (real registries on loopback);
#   2. the unit tests again, built with AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh [--no-sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/setup.sh
tests/interop/tuf-js/install.sh   # tuf-js@5, the independent TUF client (npm ci from the lock)
tests/interop/sarif/install.sh    # ajv and the SARIF 2.1.0 schema, for admit -o sarif

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRUSTCTL_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600)

if [[ "${1:-}" != "--no-sanitizers" ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRUSTCTL_WERROR=ON \
    -DTRUSTCTL_SANITIZE=address,undefined >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$jobs" -L unit --timeout 600)
  # libFuzzer targets (clang, ASan + UBSan), briefly: no crash, no sanitizer report.
  fuzz/run.sh 20
fi
