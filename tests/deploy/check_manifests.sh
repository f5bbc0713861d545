#!/usr/bin/env bash
# The Kubernetes deployment files (deploy/kubernetes/) are what docs and trustctl serve expect:
#   a. the webhook's workload passes `trustctl admit` with every hardening check enforced, and
#      the example policy in the ConfigMap is a valid policy;
#   b. the same workload with readOnlyRootFilesystem: false is denied (exit 14): the check bites;
#   c. the webhook configurations, the workload, the Service and the kustomization have the
#      fields the installation relies on (python3 + PyYAML);
#   d. make-certs.sh makes a server certificate that its CA verifies, for the Service's names.
# Usage: tests/deploy/check_manifests.sh TRUSTCTL [a|b|c|d]   (one part, or all; the Catch2
# cases in tests/integration/deploy_manifests_test.cc run one part each)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ! ${2:-a} =~ ^[abcd]$ ]]; then
  echo "usage: $0 PATH_TO_TRUSTCTL [a|b|c|d]" >&2
  exit 2
fi
only=${2:-}
want() { [[ -z $only || $only == "$1" ]]; }
trustctl=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
k8s=$(cd "$here/../../deploy/kubernetes" && pwd)
policy=$here/hardening-policy.yaml

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Nothing of the user's trust dir or docker config is read or written.
export HOME=$tmp/home TRUSTCTL_TRUST_DIR=$tmp/trust DOCKER_CONFIG=$tmp/docker
mkdir -p "$HOME"

python3 -c 'import yaml' 2>/dev/null || {
  echo "FAIL: python3 with PyYAML is needed (apt-get install python3-yaml)" >&2
  exit 1
}

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# admit ARGS... : sets rc and leaves the JSON report in $tmp/report.json
admit() {
  rc=0
  "$trustctl" admit -o json "$@" >"$tmp/report.json" 2>"$tmp/admit.err" || rc=$?
}

if want a; then
# ---- a. hardened, and the example policy parses ------------------------------------------
step "a. deployment.yaml passes every hardening check, enforced"
admit --policy "$policy" "$k8s/deployment.yaml"
[[ $rc -eq 0 ]] || { cat "$tmp/report.json" "$tmp/admit.err" >&2; fail "admit exited $rc, not 0"; }
python3 - "$tmp/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
checks = ["non-root", "read-only-rootfs", "drop-all-capabilities", "allowed-capabilities",
          "no-new-privileges", "tmpfs-noexec-nosuid", "not-privileged", "no-host-namespaces",
          "no-docker-socket", "healthcheck"]
assert r["admitted"] is True, r
containers = {f["container"] for f in r["findings"]}
assert containers == {"trustctl"}, containers
got = {f["check"]: f["result"] for f in r["findings"]}
for c in checks:
    assert got.get(c) == "pass", f"{c}: {got.get(c)} (every hardening check must pass, no warn)"
assert got.get("signature") == "skip", got
PY

step "a. the ConfigMap's policy.yaml is a valid policy that denies unmatched images"
python3 - "$k8s/policy-configmap.yaml" "$tmp/policy.yaml" <<'PY'
import sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
assert cm["kind"] == "ConfigMap" and cm["metadata"]["namespace"] == "trustctl-system"
open(sys.argv[2], "w").write(cm["data"]["policy.yaml"])
PY
admit --policy "$tmp/policy.yaml" "$k8s/namespace.yaml"
[[ $rc -eq 0 ]] || { cat "$tmp/admit.err" >&2; fail "the example policy is refused (exit $rc)"; }
# An image no rule matches is denied without being verified (no network).
cat >"$tmp/unmatched.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: unmatched}
spec:
  containers:
    - {name: c, image: "nginx:1.25"}
YAML
admit --policy "$tmp/policy.yaml" "$tmp/unmatched.yaml"
[[ $rc -eq 14 ]] || { cat "$tmp/admit.err" >&2; fail "an unmatched image: exit $rc, not 14"; }
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert any(f["check"]=="policy" and f["result"]=="fail" for f in r["findings"]), r' \
  "$tmp/report.json"

fi

if want b; then
# ---- b. the check can fail -----------------------------------------------------------------
step "b. readOnlyRootFilesystem: false is denied (exit 14)"
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$k8s/deployment.yaml" \
  >"$tmp/writable.yaml"
[[ $(grep -c 'readOnlyRootFilesystem: false' "$tmp/writable.yaml") -eq 1 ]] ||
  fail "deployment.yaml should set readOnlyRootFilesystem: true exactly once"
admit --policy "$policy" "$tmp/writable.yaml"
[[ $rc -eq 14 ]] || { cat "$tmp/report.json" "$tmp/admit.err" >&2; fail "admit exited $rc, not 14"; }
python3 - "$tmp/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
failed = [f["check"] for f in r["findings"] if f["result"] == "fail"]
assert r["admitted"] is False and failed == ["read-only-rootfs"], failed
PY

fi

if want c; then
# ---- c. the fields the installation relies on ------------------------------------------------
step "c. webhook configurations, workload, Service, kustomization"
python3 - "$k8s" <<'PY'
import os, sys, yaml

k8s = sys.argv[1]
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

def load(name):
    with open(os.path.join(k8s, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]

NS, SVC, TLS_SECRET = "trustctl-system", "trustctl-webhook", "trustctl-webhook-tls"

# kustomization: exactly the manifest files, each of which exists and parses.
kust = load("kustomization.yaml")[0]
files = sorted(f for f in os.listdir(k8s) if f.endswith(".yaml") and f != "kustomization.yaml")
check(sorted(kust.get("resources", [])) == files,
      f"kustomization resources {kust.get('resources')} != {files}")
docs = {f: load(f) for f in files}
for f, ds in docs.items():
    for d in ds:
        check("apiVersion" in d and "kind" in d and "name" in d.get("metadata", {}),
              f"{f}: a document without apiVersion/kind/metadata.name")

def one(f, kind):
    found = [d for d in docs[f] if d["kind"] == kind]
    check(len(found) == 1, f"{f}: expected one {kind}")
    return found[0] if found else {}

ns = one("namespace.yaml", "Namespace")
check(ns["metadata"]["name"] == NS, "namespace name")
ns_labels = ns["metadata"].get("labels", {})

# namespaceSelector semantics (matchLabels and matchExpressions, ANDed).
def selects(selector, labels):
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values", [])
        if op == "In" and labels.get(k) not in vals: return False
        if op == "NotIn" and k in labels and labels[k] in vals: return False
        if op == "Exists" and k not in labels: return False
        if op == "DoesNotExist" and k in labels: return False
    return True

def ns_labels_of(name, extra=None):
    # What the API server sets on every namespace, plus its own labels.
    return {"kubernetes.io/metadata.name": name, **(extra or {})}

REQUIRED = {("", r) for r in ("pods", "pods/ephemeralcontainers", "replicationcontrollers")} | \
           {("apps", r) for r in ("deployments", "replicasets", "statefulsets", "daemonsets")} | \
           {("batch", r) for r in ("jobs", "cronjobs")}

for f, kind, path in (("validating-webhook.yaml", "ValidatingWebhookConfiguration", "/validate"),
                      ("mutating-webhook.yaml", "MutatingWebhookConfiguration", "/mutate")):
    cfg = one(f, kind)
    check(cfg.get("apiVersion") == "admissionregistration.k8s.io/v1", f"{f}: apiVersion")
    hooks = cfg.get("webhooks") or []
    check(len(hooks) >= 1, f"{f}: no webhooks")
    for w in hooks:
        n = f"{f}: {w.get('name')}"
        check(len(str(w.get("name", "")).split(".")) >= 3, f"{n}: name needs three segments")
        check(w.get("sideEffects") == "None", f"{n}: sideEffects")
        check(w.get("admissionReviewVersions") == ["v1"], f"{n}: admissionReviewVersions")
        check(w.get("failurePolicy") == "Fail", f"{n}: failurePolicy")
        check(w.get("timeoutSeconds") == 10, f"{n}: timeoutSeconds")
        check(w.get("matchPolicy") == "Equivalent", f"{n}: matchPolicy")
        if kind == "MutatingWebhookConfiguration":
            check(w.get("reinvocationPolicy") == "IfNeeded", f"{n}: reinvocationPolicy")
        else:
            check("reinvocationPolicy" not in w, f"{n}: reinvocationPolicy is for mutating only")
        cc = w.get("clientConfig") or {}
        s = cc.get("service") or {}
        check("url" not in cc, f"{n}: clientConfig.url")
        check(s.get("name") == SVC and s.get("namespace") == NS, f"{n}: clientConfig.service")
        check(s.get("path") == path, f"{n}: path {s.get('path')} != {path}")
        check(s.get("port", 443) == 443, f"{n}: service port")
        check(cc.get("caBundle") == "CA_BUNDLE_BASE64", f"{n}: caBundle placeholder")
        sel = w.get("namespaceSelector") or {}
        check(not selects(sel, {**ns_labels, **ns_labels_of(NS)}), f"{n}: {NS} is not exempt")
        check(not selects(sel, ns_labels_of("kube-system")), f"{n}: kube-system is not exempt")
        for other in ("default", "prod", "kube-public"):
            check(selects(sel, ns_labels_of(other)), f"{n}: namespace {other} is not checked")
        # An exemption by a label anyone with namespace update rights could set is refused.
        check(selects(sel, ns_labels_of("prod", {k: v for k, v in ns_labels.items()
                                                  if k != "kubernetes.io/metadata.name"})),
              f"{n}: a namespace's own labels exempt it")
        check("objectSelector" not in w, f"{n}: an objectSelector lets objects opt out")
        covered = set()
        for r in w.get("rules") or []:
            check(set(r.get("operations", [])) >= {"CREATE", "UPDATE"}, f"{n}: operations {r}")
            check(r.get("apiVersions") in (["v1"], ["*"]), f"{n}: apiVersions {r}")
            check(r.get("scope", "*") in ("Namespaced", "*"), f"{n}: scope {r}")
            for g in r.get("apiGroups", []):
                for res in r.get("resources", []):
                    covered.add((g, res))
        check(REQUIRED <= covered, f"{n}: rules miss {sorted(REQUIRED - covered)}")

# The workload.
sts = one("deployment.yaml", "StatefulSet")
spec = sts.get("spec", {})
pod = spec.get("template", {}).get("spec", {})
check(sts["metadata"].get("namespace") == NS, "workload namespace")
check(spec.get("replicas") == 2, "replicas: 2")
check(pod.get("automountServiceAccountToken") is False, "automountServiceAccountToken: false")
sa = one("serviceaccount.yaml", "ServiceAccount")
check(pod.get("serviceAccountName") == sa["metadata"]["name"], "serviceAccountName")
check(sa.get("automountServiceAccountToken") is False, "the ServiceAccount mounts no token")
for h in ("hostNetwork", "hostPID", "hostIPC"):
    check(pod.get(h) is not True, h)
psc = pod.get("securityContext", {})
vols = {v["name"]: v for v in pod.get("volumes", [])}
check(all("hostPath" not in v for v in vols.values()), "no hostPath volumes")
claims = {c["metadata"]["name"]: c for c in spec.get("volumeClaimTemplates", [])}
check(len(claims) == 1, "one volumeClaimTemplate (the state dir)")
containers = pod.get("containers", [])
check(len(containers) == 1 and not pod.get("initContainers"), "one container")
c = containers[0] if containers else {}
sc = c.get("securityContext", {})
def eff(key):
    return sc.get(key, psc.get(key))
check(eff("runAsNonRoot") is True, "runAsNonRoot")
for key in ("runAsUser", "runAsGroup"):
    check(isinstance(eff(key), int) and eff(key) > 0, f"{key}: a numeric non-root id")
check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
check(sc.get("privileged") is not True, "privileged")
check(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
check(not sc.get("capabilities", {}).get("add"), "no capability added")
check((eff("seccompProfile") or {}).get("type") == "RuntimeDefault", "seccompProfile RuntimeDefault")
check(c.get("image") == "registry.example.com/trustctl/trustctl:0.1.0", "the placeholder image")
ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
check(8443 in ports.values(), "containerPort 8443")
def port_of(p):
    return ports.get(p, p)
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    g = (c.get(probe) or {}).get("httpGet") or {}
    check(g.get("scheme") == "HTTPS" and g.get("path") == path and port_of(g.get("port")) == 8443,
          f"{probe}: HTTPS {path} on 8443")
res = c.get("resources", {})
for part in ("requests", "limits"):
    check({"cpu", "memory"} <= set(res.get(part, {})), f"resources.{part} cpu and memory")

mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
check(all("subPath" not in m and "subPathExpr" not in m for m in mounts.values()),
      "no subPath mounts (updated ConfigMaps and Secrets would not reach the pod)")
def mount_of(volume_pred):
    for name, v in vols.items():
        if volume_pred(v) and name in mounts:
            return mounts[name]
    return None
tls = mount_of(lambda v: v.get("secret", {}).get("secretName") == TLS_SECRET)
cm_name = one("policy-configmap.yaml", "ConfigMap")["metadata"]["name"]
pol = mount_of(lambda v: v.get("configMap", {}).get("name") == cm_name)
check(tls is not None and tls.get("readOnly") is True, f"secret {TLS_SECRET} mounted read-only")
check(pol is not None and pol.get("readOnly") is True, "the policy ConfigMap mounted read-only")
state = [mounts[n] for n in claims if n in mounts]
check(len(state) == 1, "the state claim is mounted")
for name, m in mounts.items():
    if m.get("readOnly") is not True:
        check(name in claims, f"{name}: only the state volume may be writable")

args = (c.get("command") or []) + (c.get("args") or [])
check("serve" in args, "runs trustctl serve")
def arg(flag):
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None
if tls:
    check(arg("--tls-cert") == tls["mountPath"] + "/tls.crt", "--tls-cert in the TLS mount")
    check(arg("--tls-key") == tls["mountPath"] + "/tls.key", "--tls-key in the TLS mount")
if pol:
    keys = one("policy-configmap.yaml", "ConfigMap").get("data", {})
    p = arg("--policy") or ""
    check(os.path.dirname(p) == pol["mountPath"] and os.path.basename(p) in keys,
          "--policy names a key of the ConfigMap in its mount")
if state:
    check(arg("--state-dir") == state[0]["mountPath"], "--state-dir on the persistent claim")
check(arg("--listen") in (None, "0.0.0.0:8443"), "--listen on 8443")
check("--fail-open" not in args, "--fail-open is not on by default")
check(arg("--deadline") in (None, "9s"), "--deadline below timeoutSeconds")

svc = one("service.yaml", "Service")
check(svc["metadata"]["name"] == SVC and svc["metadata"].get("namespace") == NS, "Service name")
sp = svc.get("spec", {}).get("ports", [])
check(any(p.get("port") == 443 and port_of(p.get("targetPort")) == 8443 for p in sp),
      "Service port 443 -> 8443")
labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
sel = svc.get("spec", {}).get("selector", {})
check(sel and all(labels.get(k) == v for k, v in sel.items()), "Service selects the pods")
check(spec.get("selector", {}).get("matchLabels") == sel, "workload selector == Service selector")

if errors:
    print("\n".join("FAIL: " + e for e in errors), file=sys.stderr)
    sys.exit(1)
PY

if command -v kubectl >/dev/null 2>&1; then
  step "c. kubectl kustomize builds the kustomization"
  kubectl kustomize "$k8s" >"$tmp/built.yaml"
  [[ $(grep -c '^kind: ' "$tmp/built.yaml") -eq 8 ]] || fail "kustomize: not 8 objects"
fi

fi

if want d; then
# ---- d. certificates ---------------------------------------------------------------------------
step "d. make-certs.sh: a server certificate its CA verifies, for the Service's names"
bundle=$(bash "$k8s/make-certs.sh" "$tmp/certs" 2>"$tmp/certs.err") ||
  { cat "$tmp/certs.err" >&2; fail "make-certs.sh failed"; }
written=$(find "$tmp/certs" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')
[[ $written == "ca.crt tls.crt tls.key " ]] ||
  fail "make-certs.sh wrote $written, not ca.crt tls.crt tls.key (the CA key stays out)"
openssl verify -CAfile "$tmp/certs/ca.crt" -purpose sslserver "$tmp/certs/tls.crt" >/dev/null ||
  fail "openssl verify"
san=$(openssl x509 -in "$tmp/certs/tls.crt" -noout -ext subjectAltName)
for name in trustctl-webhook.trustctl-system.svc trustctl-webhook.trustctl-system.svc.cluster.local; do
  grep -q "DNS:$name\(,\|$\)" <<<"$san" || fail "SAN lacks $name: $san"
done
echo "$bundle" | base64 -d | cmp -s - "$tmp/certs/ca.crt" || fail "the printed bundle is not ca.crt"
# The key matches the certificate.
[[ $(openssl pkey -in "$tmp/certs/tls.key" -pubout) == $(openssl x509 -in "$tmp/certs/tls.crt" -noout -pubkey) ]] ||
  fail "tls.key does not match tls.crt"
[[ $(stat -c %a "$tmp/certs/tls.key") == 600 ]] || fail "tls.key is not mode 600"
# A second run does not overwrite.
if bash "$k8s/make-certs.sh" "$tmp/certs" >/dev/null 2>&1; then fail "make-certs.sh overwrote files"; fi

fi
echo "deploy manifests${only:+ ($only)}: ok"
