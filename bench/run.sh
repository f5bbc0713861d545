#!/usr/bin/env bash
# bench/run.sh -- trustctl against Docker Content Trust's notary and skopeo, in one run.
#
# Installs what it needs (apt; silent when present), builds trustctl (Release) in build-bench/,
# starts a TLS registry:2 (trustctl-testenv) and Debian's notary-server + notary-signer
# (in-memory, TLS with a CA made here) on free loopback ports, populates both to 1, 1,000 and
# 10,000 signed tags and times, alternating the tools:
#   verify  : trustctl verify  vs  notary lookup  vs  skopeo inspect --raw (unverified floor)
#   sign    : trustctl sign of one more tag  vs  notary addhash + notary publish
#   inspect : trustctl inspect  vs  notary list
#   bytes   : requests and bytes per verify, cold and warm (byte-counting relays + server logs)
# and, on the same registry, moving a multi-layer image of a few hundred MB:
#   push    : trustctl push (--no-sign, and signed)  vs  skopeo copy oci:… docker://…
#   pull    : trustctl pull (verified, and --disable-content-trust)  vs  skopeo copy docker://… oci:…
# Raw numbers: bench/results/results.json. Report: docs/benchmarks.md + docs/benchmarks.svg.
#
# Knobs (environment): LEVELS="1 1000 10000" RUNS=10 RUNS_BIG=5 SIGN_RUNS=5 WARMUP=2
#   PARTS="trust transfer" (PARTS=transfer: only push/pull; the other part's results in results.json
#   are kept and reported as they were), TRANSFER_RUNS=5 TRANSFER_WARMUP=1 TRANSFER_LAYERS=6
#   TRANSFER_LAYER_MIB=48
# Leaves nothing running: every process it starts is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t_start=$(date +%s)
say() { printf '[bench %4ss] %s\n' "$(($(date +%s) - t_start))" "$*" >&2; }
export PARTS=${PARTS:-trust transfer}
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
has_part trust || has_part transfer || { echo "PARTS must name trust and/or transfer" >&2; exit 2; }

# ---- install (idempotent, quiet when everything is present)
scripts/setup.sh
extra=(skopeo docker-registry gnuplot-nox curl openssl python3)
has_part trust && extra+=(notary)
[[ -x /usr/bin/perf ]] || extra+=(linux-perf)
missing=()
for p in "${extra[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- build (Release, own build dir)
say "building trustctl (Release) in build-bench/"
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target trustctl trustctl-testenv >/dev/null
export TRUSTCTL=$root/build-bench/src/cli/trustctl
testenv=$root/build-bench/tests/support/trustctl-testenv

# ---- services
work=$(mktemp -d /tmp/trustctl-bench.XXXXXX)
export WORK=$work
proxy_pids=()
cleanup() {
  local rc=$? pid
  for pid in "${proxy_pids[@]}"; do
    [[ $(cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ') == *countproxy.py* ]] && kill "$pid" 2>/dev/null || true
  done
  [[ -d $work/notary ]] && { "$root/bench/notary-stack.sh" stop "$work/notary" >/dev/null 2>&1 || true; }
  "$testenv" stop "$work/reg" --purge >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for i in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "port $1 never opened" >&2; return 1
}

say "starting registry:2 (TLS)$(has_part trust && echo ' and the notary stack')"
"$testenv" start "$work/reg" --tls >/dev/null
# shellcheck disable=SC1091
. "$work/reg/env"
export REG_HOST=$REGISTRY_HOST REG_CA=$REGISTRY_CACERT REG_CERTDIR=$REGISTRY_CERTDIR
export REG_LOG=$work/reg/registry.log
if has_part trust; then
  APP_TAGS=signed registry-fixtures/push-images.sh "$REGISTRY_URL" secure-app >/dev/null
  bench/notary-stack.sh start "$work/notary"
  # shellcheck disable=SC1091
  . "$work/notary/env"
  export NOTARY_URL NOTARY_CA NOTARY_SERVER_LOG
else
  mkdir -p "$work/notary-none"
  export NOTARY_URL=https://127.0.0.1:1 NOTARY_CA=/dev/null NOTARY_SERVER_LOG=$work/notary-none/log
  : >"$NOTARY_SERVER_LOG"
fi

# byte-counting relays (plain TCP, TLS passes through) for the bytes-per-verify numbers
rport=$(free_port) nport=$(free_port)
export PROXY_LOG_REG=$work/proxy-reg.log PROXY_LOG_NOTARY=$work/proxy-notary.log
: >"$PROXY_LOG_REG"
: >"$PROXY_LOG_NOTARY"
setsid python3 bench/countproxy.py "$rport" 127.0.0.1 "${REG_HOST##*:}" "$PROXY_LOG_REG" </dev/null >/dev/null 2>&1 &
proxy_pids+=($!)
setsid python3 bench/countproxy.py "$nport" 127.0.0.1 "${NOTARY_URL##*:}" "$PROXY_LOG_NOTARY" </dev/null >/dev/null 2>&1 &
proxy_pids+=($!)
wait_port "$rport"
wait_port "$nport"
export REG_PROXY_HOST=127.0.0.1:$rport NOTARY_PROXY_URL=https://127.0.0.1:$nport
say "registry https://$REG_HOST, notary $NOTARY_URL (relays :$rport, :$nport)"

# ---- measure, report, plot
mkdir -p bench/results
measure=(python3 bench/measure.py bench/results/results.json)
# skopeo's blob-info cache would let it mount blobs it pushed in an earlier run instead of
# uploading them. Run as root, containers/image keeps it in /var/lib/containers/cache (shared
# with anything else on the machine): measure.py gets a private, empty directory over it in its
# own mount namespace, and empties it before every skopeo run. As a user it is under $HOME,
# which measure.py points into $WORK.
if has_part transfer && [[ $(id -u) -eq 0 ]] && unshare -m true 2>/dev/null; then
  mkdir -p "$work/skopeo-cache" /var/lib/containers/cache
  export SKOPEO_CACHE_PRIVATE=1
  unshare -m --propagation private sh -c \
    'mount --bind "$0" /var/lib/containers/cache && exec "$@"' "$work/skopeo-cache" "${measure[@]}"
else
  "${measure[@]}"
fi
python3 bench/report.py bench/results/results.json docs/benchmarks.md docs/benchmarks.svg
say "done: docs/benchmarks.md, docs/benchmarks.svg, bench/results/results.json"
