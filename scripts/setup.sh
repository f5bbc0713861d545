#!/usr/bin/env bash
# Installs every build, test and run dependency of trustctl from Debian 12's apt.
# Idempotent: prints nothing and touches nothing when all packages are present.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config git
  libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libcxxopts-dev catch2
  libyaml-cpp-dev libcpp-httplib-dev
  # sanitizers and fuzzing
  clang libclang-rt-14-dev clang-format
  # tests and demo: a real registry, the tools we interoperate with, helpers
  docker-registry skopeo umoci apache2-utils openssl curl jq tar gzip python3
  docker-compose  # tests/integration/admission_compose_test.cc compares with `docker-compose config`
  strace  # the offline-verify test proves no socket is opened
  python3-yaml  # tests/deploy/check_manifests.sh reads the Kubernetes manifests
  faketime  # trust_cli_test: the verified-state cache and expiry, days later
)

# tuf-js@5 (the independent TUF verifier in the tests) needs Node.js >= 20. The machine image
# ships Node 20; where node is absent, Debian's nodejs and npm are the fallback.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
