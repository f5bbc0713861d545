#!/usr/bin/env bash
# The main job on an embedded default: starts a local registry:2 (Debian's docker-registry) on
# a free loopback port, pushes the lab's secure-app image into it and runs trustctl against it.
# Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target trustctl trustctl-testenv >/dev/null

trustctl=$root/build/src/cli/trustctl
testenv=$root/build/tests/support/trustctl-testenv
work=$(mktemp -d /tmp/trustctl-demo.XXXXXX)
cleanup() { "$testenv" stop "$work/registry" --purge >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

"$testenv" start "$work/registry" >/dev/null
# shellcheck disable=SC1091
. "$work/registry/env"
host=$REGISTRY_HOST
echo "registry:2 (docker-registry) listening on $REGISTRY_URL"

step "registry-fixtures/push-images.sh $REGISTRY_URL secure-app"
registry-fixtures/push-images.sh "$REGISTRY_URL" secure-app

export HOME=$work/home TRUSTCTL_TRUST_DIR=$work/home/.trustctl
mkdir -p "$HOME"

step "trustctl resolve $host/secure-app:signed"
"$trustctl" resolve "$host/secure-app:signed"

step "trustctl resolve $host/secure-app:multi"
"$trustctl" resolve "$host/secure-app:multi"

step "trustctl resolve -o json $host/secure-app:signed"
"$trustctl" resolve -o json "$host/secure-app:signed" | head -20

step "trustctl resolve $host/secure-app:no-such-tag   # exit 11"
set +e
"$trustctl" resolve "$host/secure-app:no-such-tag"
echo "exit code: $?"
set -e
