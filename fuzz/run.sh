#!/bin/sh
# Builds the libFuzzer targets with clang (address + undefined sanitizers) in build-fuzz/ and
# runs each for SECONDS (default 30). Exit status non-zero on a crash or sanitizer report.
# Usage: fuzz/run.sh [SECONDS]
set -eu
seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TRUSTCTL_FUZZ_BUILD_DIR:-$root/build-fuzz}
generator=""
command -v ninja >/dev/null 2>&1 && generator="-G Ninja"

# shellcheck disable=SC2086
CC=clang CXX=clang++ cmake -S "$root" -B "$build" $generator -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRUSTCTL_FUZZ=ON -DTRUSTCTL_BUILD_TESTS=OFF -DTRUSTCTL_SANITIZE=address,undefined \
  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$build" --target canonical_json_fuzz tuf_metadata_fuzz admission_review_fuzz json_reader_fuzz -j"$(nproc 2>/dev/null || echo 2)"

corpus_in="$root/fuzz/corpus/canonical_json"
work="$build/corpus/canonical_json"   # new inputs go here, the committed seeds stay untouched
mkdir -p "$work" "$build/artifacts"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$build/fuzz/canonical_json_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -artifact_prefix="$build/artifacts/" "$work" "$corpus_in"

mkdir -p "$build/corpus/tuf_metadata"
"$build/fuzz/tuf_metadata_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -artifact_prefix="$build/artifacts/" "$build/corpus/tuf_metadata" "$root/fuzz/corpus/tuf_metadata"

mkdir -p "$build/corpus/admission_review"
"$build/fuzz/admission_review_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -artifact_prefix="$build/artifacts/" "$build/corpus/admission_review" \
  "$root/fuzz/corpus/admission_review"

mkdir -p "$build/corpus/json_reader"
"$build/fuzz/json_reader_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -artifact_prefix="$build/artifacts/" "$build/corpus/json_reader" "$root/fuzz/corpus/canonical_json" \
  "$root/fuzz/corpus/admission_review"
