#!/usr/bin/env bash
# bench/webhook.sh -- trustctl serve under load on loopback: requests per second and latency
# percentiles of /healthz, warm /validate and /mutate (verified results in memory), /validate
# with --recheck 0s (one HEAD of the trust data per review), and cold reviews (a new webhook
# with an empty state dir: the first review verifies the repository). The load generator is
# bench/webhook_load.cc: C closed-loop connections with keep-alive, every answer checked.
# It shares the machine's cores with the server, so absolute numbers understate the server.
#
# The warm runs alternate /healthz, /validate and /mutate for ROUNDS rounds on one server and
# report each figure's median over the rounds (this machine's speed drifts between runs), first
# closed loop (as fast as the connections go), then open loop at RATE requests per second.
# Knobs (environment): CONNECTIONS=8 REQUESTS=40000 ROUNDS=3 RATE=5000 COLD_RUNS=10
#   TRUSTCTL_BIN, TESTENV_BIN: use these binaries instead of building build-bench/
# Raw numbers: bench/results/webhook.json; the report is the "Admission webhook" section that
# bench/report.py writes into docs/benchmarks.md (run it, or bench/run.sh, afterwards).
# Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t_start=$(date +%s)
say() { printf '[webhook-bench %4ss] %s\n' "$(($(date +%s) - t_start))" "$*" >&2; }
CONNECTIONS=${CONNECTIONS:-8}
REQUESTS=${REQUESTS:-40000}
COLD_RUNS=${COLD_RUNS:-10}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-5000}

scripts/setup.sh
if [[ -z ${TRUSTCTL_BIN:-} || -z ${TESTENV_BIN:-} ]]; then
  say "building trustctl (Release) in build-bench/"
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-bench -j"$(nproc)" --target trustctl trustctl-testenv >/dev/null
  TRUSTCTL_BIN=$root/build-bench/src/cli/trustctl
  TESTENV_BIN=$root/build-bench/tests/support/trustctl-testenv
fi
work=$(mktemp -d /tmp/trustctl-webhook-bench.XXXXXX)
load=$work/webhook_load
g++ -O2 -std=c++20 bench/webhook_load.cc -o "$load" -lssl -lcrypto -lpthread

serve_pid=
cleanup() {
  local rc=$?
  stop_serve
  "$TESTENV_BIN" stop "$work/reg" --purge >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
stop_serve() {
  if [[ -n $serve_pid ]] && [[ $(tr '\0' ' ' <"/proc/$serve_pid/cmdline" 2>/dev/null) == *" serve "* ]]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  serve_pid=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting registry:2 (TLS) and signing an image"
"$TESTENV_BIN" start "$work/reg" --tls >/dev/null
# shellcheck disable=SC1091
. "$work/reg/env"
APP_TAGS=signed registry-fixtures/push-images.sh "$REGISTRY_URL" secure-app >/dev/null
export HOME=$work/home
mkdir -p "$HOME/.docker/certs.d/$REGISTRY_HOST"
cp "$REGISTRY_CACERT" "$HOME/.docker/certs.d/$REGISTRY_HOST/ca.crt"
export TRUSTCTL_ROOT_PASSPHRASE=bench-root-passphrase
export TRUSTCTL_REPOSITORY_PASSPHRASE=bench-repository-passphrase
owner=$work/owner
repo=$REGISTRY_HOST/secure-app
TRUSTCTL_TRUST_DIR=$owner "$TRUSTCTL_BIN" sign --init "$repo:signed" >/dev/null 2>&1
root_key=$(TRUSTCTL_TRUST_DIR=$owner "$TRUSTCTL_BIN" inspect "$repo" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"])')
cat >"$work/policy.yaml" <<POLICY
version: 1
rules:
  - images: "**"
    roots: ["$root_key"]
POLICY

# The webhook's certificate and a review of a hardened Deployment of the signed image.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$work/tls.key" -out "$work/tls.crt" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 2>/dev/null
kubectl create deployment web --image="$repo:signed" --dry-run=client -o json |
  python3 -c '
import json, sys
d = json.load(sys.stdin)
spec = d["spec"]["template"]["spec"]
spec["securityContext"] = {"runAsNonRoot": True}
for c in spec["containers"]:
    c["securityContext"] = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}}
    c["readinessProbe"] = {"httpGet": {"path": "/", "port": 8080}}
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": {"uid": "bench", "operation": "CREATE", "namespace": "default",
                              "name": "web", "kind": {"group": "apps", "version": "v1",
                                                      "kind": "Deployment"}, "object": d}}))
' >"$work/review.json"

# start_serve STATE_DIR [FLAGS...]: starts serve on a free port, sets $port.
start_serve() {
  local state=$1 log=$work/serve.log
  shift
  : >"$log"
  setsid "$TRUSTCTL_BIN" serve --policy "$work/policy.yaml" --tls-cert "$work/tls.crt" \
    --tls-key "$work/tls.key" --listen 127.0.0.1:0 --state-dir "$state" "$@" 2>"$log" &
  serve_pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's|.*https://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -1)
    [[ -n $port ]] && return 0
    sleep 0.05
  done
  cat "$log" >&2
  return 1
}
run_load() {  # NAME PATH [BODY ALLOWED]
  local name=$1 path=$2
  local args=(--port "$port" --ca "$work/tls.crt" --path "$path"
    --connections "$CONNECTIONS" --requests "$REQUESTS")
  [[ $# -ge 4 ]] && args+=(--body "$3" --allowed "$4")
  [[ -n ${OPEN_RATE:-} ]] && args+=(--rate "$OPEN_RATE")
  local line
  line=$("$load" "${args[@]}")
  say "$name: $line"
  printf '"%s": %s,\n' "$name" "$line" >>"$work/results.part"
}

: >"$work/results.part"
say "warm: verified once, then from memory (--recheck 10m)"
start_serve "$work/state-warm" --recheck 10m
curl -sf --cacert "$work/tls.crt" -X POST --data-binary @"$work/review.json" \
  "https://127.0.0.1:$port/validate" | grep -q '"allowed":true' ||
  { echo "the review is not admitted" >&2; exit 1; }
for round in $(seq "$ROUNDS"); do
  run_load "healthz.$round" /healthz
  run_load "validate_warm.$round" /validate "$work/review.json" true
  run_load "mutate_warm.$round" /mutate "$work/review.json" true
done
say "warm, open loop at $RATE requests/s"
for round in $(seq "$ROUNDS"); do
  OPEN_RATE=$RATE REQUESTS=$((RATE * 4)) run_load "healthz_rate.$round" /healthz
  OPEN_RATE=$RATE REQUESTS=$((RATE * 4)) run_load "validate_rate.$round" /validate \
    "$work/review.json" true
done
stop_serve

say "recheck every review (--recheck 0s: one HEAD of the trust data each)"
start_serve "$work/state-recheck" --recheck 0s
REQUESTS=$((REQUESTS / 10)) run_load validate_recheck /validate "$work/review.json" true
registry_requests=$(curl -sf --cacert "$work/tls.crt" "https://127.0.0.1:$port/metrics" |
  sed -n 's/^trustctl_registry_requests_total \([0-9]*\)$/\1/p')
say "registry requests during the recheck run: $registry_requests"
printf '"recheck_registry_requests": %s,\n' "$registry_requests" >>"$work/results.part"
stop_serve

say "cold: $COLD_RUNS new webhooks with empty state dirs, the first review of each"
cold=()
for i in $(seq "$COLD_RUNS"); do
  start_serve "$work/state-cold-$i" --recheck 10m
  t=$(curl -sf -o /dev/null -w '%{time_total}' --cacert "$work/tls.crt" -X POST \
    --data-binary @"$work/review.json" "https://127.0.0.1:$port/validate")
  cold+=("$t")
  stop_serve
done
cold_json=$(printf '%s\n' "${cold[@]}" | python3 -c '
import json, sys, statistics
t = sorted(float(x) * 1e6 for x in sys.stdin)
print(json.dumps({"runs": len(t), "median_us": int(statistics.median(t)), "max_us": int(t[-1])}))')
say "cold: $cold_json"

mkdir -p bench/results
{
  echo "{"
  echo "\"machine\": \"$(nproc) cores, $(uname -r)\","
  echo "\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "\"trustctl\": \"$("$TRUSTCTL_BIN" version 2>/dev/null | head -1)\","
  cat "$work/results.part"
  echo "\"cold_first_review\": $cold_json"
  echo "}"
} | python3 -c '
import json, statistics, sys
raw = json.load(sys.stdin)
out = {}
for key, value in raw.items():
    name, _, round_ = key.partition(".")
    if round_:
        out.setdefault(name, {"rounds": []})["rounds"].append(value)
    else:
        out[key] = value
for name, entry in out.items():
    if isinstance(entry, dict) and "rounds" in entry:
        rounds = entry["rounds"]
        for field in ("path", "connections", "offered_rps", "requests"):
            entry[field] = rounds[0][field]
        entry["errors"] = sum(r["errors"] for r in rounds)
        for field in ("rps", "p50_us", "p90_us", "p99_us", "max_us"):
            entry[field] = int(statistics.median(r[field] for r in rounds))
print(json.dumps(out, indent=2))' >bench/results/webhook.json
say "done: bench/results/webhook.json (python3 bench/report.py bench/results/results.json docs/benchmarks.md docs/benchmarks.svg)"
