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

# The lab's image as a build tool leaves it (an OCI layout), and an unsigned `app` tag of the
# same image pushed by skopeo.
step "registry-fixtures/make-images.sh $work/layout"
registry-fixtures/make-images.sh "$work/layout"
step "APP_TAGS=app registry-fixtures/push-images.sh $REGISTRY_URL secure-app"
LAYOUT=$work/layout APP_TAGS=app registry-fixtures/push-images.sh "$REGISTRY_URL" secure-app

export HOME=$work/home TRUSTCTL_TRUST_DIR=$work/home/.trustctl
# Demo passphrases; in real use these come from a secret store or a terminal prompt.
export TRUSTCTL_ROOT_PASSPHRASE=demo-root-passphrase
export TRUSTCTL_REPOSITORY_PASSPHRASE=demo-repository-passphrase
mkdir -p "$HOME"
repo=$host/secure-app

run() {  # prints the command, runs it, shows a non-zero exit code without stopping the demo
  step "trustctl $*"
  set +e
  "$trustctl" "$@"
  local rc=$?
  set -e
  [[ $rc -eq 0 ]] || echo "(exit code $rc)"
}

echo
echo "The lab's Task 2 (content trust), with the trust data kept in the registry itself:"
run verify "$repo:app"                     # unsigned: refused, exit 10
# Sign on push, without a Docker engine (first push without a TTY needs --init):
run push --init "oci:$work/layout:secure-app" "$repo:signed"
run resolve "$repo:signed"                 # what the registry says: unverified
run inspect --pretty "$repo:signed"
run inspect "$repo"
run verify "$repo:signed"                  # the trusted digest
run verify "$repo:app"                     # same image, unsigned tag: refused
# Pull through the trust data into an OCI layout, and what skopeo reads there:
run pull "$repo:signed" "oci:$work/pulled:secure-app"
step "skopeo inspect oci:$work/pulled:secure-app"
skopeo inspect "oci:$work/pulled:secure-app" | grep -E '"(Digest|Architecture|Os)"'
run pull "$repo:app" "oci:$work/pulled:app"  # unsigned: refused, exit 10

echo
echo "A second machine (a fresh trust dir, no TTY) must pin the root first:"
root_key=$("$trustctl" inspect "$repo" | sed -n 's/.*"ID": "\([0-9a-f]*\)".*/\1/p' | head -1)
export TRUSTCTL_TRUST_DIR=$work/ci-runner
run verify "$repo:signed"                  # unknown root: refused, exit 12
run trust pin "$repo" --fingerprint "$root_key"
run verify "$repo:signed"

echo
echo "The check before a deploy (the lab's Task 6 compose file), on the pinned machine:"
sed "s|image: secure-app:v1|image: $repo:signed|" tests/fixtures/admission/docker-compose.secure.yml \
  >"$work/docker-compose.secure.yml"
sed "s|image: secure-app:v1|image: $repo:app|" tests/fixtures/admission/docker-compose.secure.yml \
  >"$work/docker-compose.unsigned.yml"
run admit "$work/docker-compose.secure.yml"
run admit "$work/docker-compose.unsigned.yml"  # unsigned image: denied, exit 14

export TRUSTCTL_TRUST_DIR=$work/home/.trustctl
run revoke "$repo:signed"
run verify "$repo:signed"                  # revoked: refused, exit 10
