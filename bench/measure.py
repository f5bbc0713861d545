#!/usr/bin/env python3
"""measure.py OUT.json -- the measuring half of bench/run.sh (stdlib only).

run.sh installs, builds and starts the services, then calls this with the environment below.
This script populates both trust systems to each tag count, times the tools alternately
(round-robin, rotating the order every round), counts requests and bytes per verify, samples
trustctl with perf, and writes every raw number to OUT.json. It prints progress on stderr.

Environment (all set by run.sh):
  TRUSTCTL, WORK, REG_HOST (host:port of the TLS registry), REG_PROXY_HOST (byte-counting
  relay in front of it), REG_LOG, REG_CA, REG_CERTDIR, NOTARY_URL, NOTARY_PROXY_URL,
  NOTARY_CA, NOTARY_SERVER_LOG, PROXY_LOG_REG, PROXY_LOG_NOTARY, LEVELS ("1 1000 10000"),
  RUNS, RUNS_BIG (runs at >= 10,000 tags), SIGN_RUNS, WARMUP
  PARTS ("trust transfer": which parts to measure; the others' results already in OUT.json are kept),
  TRANSFER_RUNS, TRANSFER_WARMUP, TRANSFER_LAYERS, TRANSFER_LAYER_MIB, SKOPEO_CACHE_PRIVATE
"""
import base64, json, os, re, shutil, statistics, subprocess, sys, time, uuid

E = os.environ
TRUSTCTL = E["TRUSTCTL"]
WORK = E["WORK"]
REG = E["REG_HOST"]
REGP = E["REG_PROXY_HOST"]
REPO = f"{REG}/secure-app"
REPOP = f"{REGP}/secure-app"
GUN = f"{REG}/secure-app"  # DCT's GUN for this repository
LEVELS = [int(x) for x in E.get("LEVELS", "1 1000 10000").split()]
RUNS = int(E.get("RUNS", "10"))
RUNS_BIG = int(E.get("RUNS_BIG", "5"))
SIGN_RUNS = int(E.get("SIGN_RUNS", "5"))
WARMUP = int(E.get("WARMUP", "2"))
PARTS = E.get("PARTS", "trust transfer").split()
TRANSFER_RUNS = int(E.get("TRANSFER_RUNS", "5"))
TRANSFER_WARMUP = int(E.get("TRANSFER_WARMUP", "1"))
TRANSFER_LAYERS = int(E.get("TRANSFER_LAYERS", "6"))
TRANSFER_LAYER_MIB = int(E.get("TRANSFER_LAYER_MIB", "48"))
T0 = time.monotonic()

HOME = f"{WORK}/home"
OWNER = f"{WORK}/trustctl-owner"      # trust dir that signs
PULLER = f"{WORK}/trustctl-puller"    # pinned root, warm cache
PINNED = f"{WORK}/trustctl-pinned"    # template: pinned root only (cold runs copy it)
PINNEDP = f"{WORK}/trustctl-pinned-proxy"
COLD = f"{WORK}/trustctl-cold"
N_OWNER = f"{WORK}/notary-owner"
N_PULLER = f"{WORK}/notary-puller"
N_COLD = f"{WORK}/notary-cold"
EMPTY_AUTH = f"{WORK}/empty-auth.json"

ENV = dict(E)
ENV.update(HOME=HOME, TRUSTCTL_TRUST_DIR=OWNER,
           TRUSTCTL_ROOT_PASSPHRASE="bench-root-passphrase",
           TRUSTCTL_REPOSITORY_PASSPHRASE="bench-repository-passphrase",
           NOTARY_ROOT_PASSPHRASE="bench-root-passphrase",
           NOTARY_TARGETS_PASSPHRASE="bench-targets-passphrase",
           NOTARY_SNAPSHOT_PASSPHRASE="bench-snapshot-passphrase")


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def run(argv, check=True, **kw):
    p = subprocess.run(argv, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if check and p.returncode != 0:
        raise SystemExit(f"measure.py: {' '.join(argv[:6])}... exit {p.returncode}\n{p.stderr[-2000:]}")
    return p


def tc(*args, trust_dir=OWNER):
    return [TRUSTCTL, "--trust-dir", trust_dir, *args]


def notary(trust_dir, *args, url=None):
    return ["notary", "-s", url or E["NOTARY_URL"], "--tlscacert", E["NOTARY_CA"], "-d", trust_dir, *args]


def skopeo(host):
    return ["skopeo", "inspect", "--raw", "--cert-dir", E["REG_CERTDIR"], "--authfile", EMPTY_AUTH,
            f"docker://{host}/secure-app:signed"]


def fresh(dst, template=None):
    shutil.rmtree(dst, ignore_errors=True)
    if template:
        shutil.copytree(template, dst, symlinks=True)
    else:
        os.makedirs(dst)


# ---------------------------------------------------------------- timing
COUNTER = [0]


def time_once(argvs):
    """Runs the argv lists one after another; returns (wall ms, user ms, sys ms)."""
    wall = user = sys_ = 0.0
    if any("{i}" in a for argv in argvs for a in argv):
        COUNTER[0] += 1  # a fresh tag name for every sign run
    for argv in argvs:
        argv = [a.replace("{i}", f"{COUNTER[0]:05d}") for a in argv]
        t = time.perf_counter_ns()
        p = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall += (time.perf_counter_ns() - t) / 1e6
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        if p.returncode != 0:
            raise SystemExit(f"measure.py: {' '.join(argv)} exit {p.returncode}\n{err[-2000:]}")
        user += ru.ru_utime * 1000
        sys_ += ru.ru_stime * 1000
    return wall, user, sys_


def suite(name, tools, runs, warmup=WARMUP):
    """tools: {label: {"cmd": [argv...], "prep": callable or None}}. Round-robin, order rotated."""
    labels = list(tools)
    res = {l: {"wall_ms": [], "user_ms": [], "sys_ms": []} for l in labels}
    for r in range(warmup + runs):
        k = r % len(labels)
        for l in labels[k:] + labels[:k]:
            spec = tools[l]
            if spec.get("prep"):
                spec["prep"]()
            w, u, s = time_once(spec["cmd"])
            if r >= warmup:
                res[l]["wall_ms"].append(w)
                res[l]["user_ms"].append(u)
                res[l]["sys_ms"].append(s)
    out = {}
    for l in labels:
        d = res[l]
        out[l] = {"median_ms": statistics.median(d["wall_ms"]), "min_ms": min(d["wall_ms"]),
                  "max_ms": max(d["wall_ms"]), "cpu_median_ms": statistics.median(
                      [u + s for u, s in zip(d["user_ms"], d["sys_ms"])]),
                  "runs": runs, "warmup": warmup, "command": [" ".join(c) for c in tools[l]["cmd"]], **d}
    log(f"  {name}: " + ", ".join(f"{l} {out[l]['median_ms']:.1f} ms" for l in labels))
    return out


# ---------------------------------------------------------------- populate
def put_tags(names, manifest_file, media_type):
    if not names:
        return
    cfg = f"{WORK}/put.cfg"
    with open(cfg, "w") as f:
        f.write(f'header = "Content-Type: {media_type}"\nsilent\nshow-error\n'
                f'cacert = "{E["REG_CA"]}"\nwrite-out = "%{{http_code}}\\n"\n')
        for n in names:
            f.write(f'upload-file = "{manifest_file}"\nurl = "https://{REG}/v2/secure-app/manifests/{n}"\n'
                    'output = "/dev/null"\n')
    p = run(["curl", "-Z", "--parallel-max", "16", "--no-progress-meter", "-K", cfg])
    codes = p.stdout.split()
    bad = [c for c in codes if c != "201"]
    if bad or len(codes) != len(names):
        raise SystemExit(f"measure.py: manifest PUTs failed: {len(codes)} answers, {len(bad)} not 201")


def notary_stage(names, size, sha256_hex):
    """Writes notary changelist entries directly (what `notary addhash` writes, one file each)."""
    d = f"{N_OWNER}/tuf/{GUN}/changelist"
    os.makedirs(d, exist_ok=True)
    b64 = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
    data = base64.b64encode(json.dumps({"length": size, "hashes": {"sha256": b64}},
                                       separators=(",", ":")).encode()).decode()
    for n in names:
        entry = {"action": "create", "role": "targets", "type": "target", "path": n, "data": data}
        with open(f"{d}/{time.time_ns():020d}_{uuid.uuid4()}.change", "w") as f:
            json.dump(entry, f, separators=(",", ":"))


# ---------------------------------------------------------------- counting
def reg_log_mark():
    return os.path.getsize(E["REG_LOG"]), os.path.getsize(E["NOTARY_SERVER_LOG"])


def server_counts(path, start):
    """Requests and response-body bytes the server logged since byte offset start."""
    with open(path, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    n = nbytes = 0
    for line in text.splitlines():
        if "response completed" not in line:
            continue
        m = re.search(r'http\.response\.written"?[=:](\d+)', line)
        n += 1
        nbytes += int(m.group(1)) if m else 0
    return n, nbytes


def proxy_counts(path, start):
    with open(path) as f:
        f.seek(start)
        lines = [l.split() for l in f.read().splitlines() if l.strip()]
    return len(lines), sum(int(a) for a, _ in lines), sum(int(b) for _, b in lines)


def count_one(label, argv, prep=None, server_log="REG_LOG", proxy_log="PROXY_LOG_REG"):
    if prep:
        prep()
    s0 = os.path.getsize(E[server_log])
    p0 = os.path.getsize(E[proxy_log])
    p = run(argv)
    time.sleep(0.3)  # the relay logs a connection when it closes
    reqs, body = server_counts(E[server_log], s0)
    conns, up, down = proxy_counts(E[proxy_log], p0)
    debug = len(re.findall(r"^debug: [A-Z]+ \S+ -> \d+", p.stderr, re.M)) if "--debug" in argv else None
    return {"label": label, "command": " ".join(argv), "requests": reqs, "response_body_bytes": body,
            "tcp_connections": conns, "wire_bytes_up": up, "wire_bytes_down": down,
            "trustctl_debug_request_lines": debug,
            "debug_requests": re.findall(r"^debug: ([A-Z]+ \S+ -> \d+)", p.stderr, re.M) if debug else None}


# ---------------------------------------------------------------- perf
def perf_profile(label, prep, argv, reps):
    if not shutil.which("perf"):
        return None
    data = f"{WORK}/perf-{label}.data"
    script = f"{WORK}/perf-{label}.sh"
    with open(script, "w") as f:
        f.write("set -e\n")
        for _ in range(reps):
            if prep:
                f.write(prep + "\n")
            f.write(" ".join(f"'{a}'" for a in argv) + " >/dev/null\n")
    p = subprocess.run(["perf", "record", "-q", "-F", "4999", "-g", "-o", data, "--", "bash", script],
                       env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        return {"error": p.stderr[-500:]}
    out = {}
    for key, sort in (("by_dso", "dso"), ("by_symbol", "dso,sym")):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--comm", "trustctl",
                            "--sort", sort, "-g", "none", "--percentage", "relative",
                            "--percent-limit", "1.5", "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out[key] = [l.rstrip() for l in r.stdout.splitlines() if l.strip()][:18]
    os.unlink(data)
    return out


# ---------------------------------------------------------------- main
def machine():
    def sh(cmd):
        p = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
        return p.stdout.strip()
    return {
        "nproc": sh("nproc"), "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "memory": sh("free -h | awk '/^Mem:/{print $2}'"), "kernel": sh("uname -sr"),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "trustctl": sh(f"'{TRUSTCTL}' version | tr '\\n' ' '"),
        "packages": sh("dpkg-query -W -f='${Package} ${Version}\\n' notary skopeo docker-registry curl 2>/dev/null"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_at_start": sh("cat /proc/loadavg"),
    }


# ---------------------------------------------------------------- image transfer (push / pull)
IMG = f"{WORK}/image"          # the test image, an OCI layout (bench/make-image.py)
IMG_TAG = "bench"
T_OWNER = f"{WORK}/trustctl-transfer-owner"    # holds the keys of every repository pushed signed
T_PULLER = f"{WORK}/trustctl-transfer-puller"  # pinned root of SRC_REPO, warm after the warm-up
T_PULLERP = f"{WORK}/trustctl-transfer-puller-proxy"
SRC_REPO = "bench-image"       # pushed once (signed) before the timings; both tools pull it
SKOPEO_CACHE = "/var/lib/containers/cache" if os.geteuid() == 0 else f"{HOME}/.local/share/containers/cache"


def clear_skopeo_cache():
    """skopeo (containers/image) remembers where it has seen each blob (blob-info-cache) and
    mounts it from there instead of uploading. Every skopeo run starts from an empty cache, so
    that it uploads every blob as trustctl does. As root the cache is a system path: run.sh
    bind-mounts a private directory over it (SKOPEO_CACHE_PRIVATE=1); without that it is left
    alone and the byte counts show what skopeo skipped."""
    if os.geteuid() == 0 and E.get("SKOPEO_CACHE_PRIVATE") != "1":
        return
    if os.path.isdir(SKOPEO_CACHE):
        for fn in os.listdir(SKOPEO_CACHE):
            os.unlink(os.path.join(SKOPEO_CACHE, fn))


def settle():
    """Before every timed transfer: flush what earlier runs left dirty (the registry's storage,
    the last pull's files), so one tool's write-back does not land in the next tool's time."""
    os.sync()


def sk_copy(src, dst, host_side):
    cert = "--dest-cert-dir" if host_side == "dest" else "--src-cert-dir"
    return ["skopeo", "copy", "--quiet", cert, E["REG_CERTDIR"], "--authfile", EMPTY_AUTH, src, dst]


def registry_cpu_ms():
    """CPU time (user+sys) the registry process has used so far, or None."""
    try:
        pid = open(f"{WORK}/reg/registry.pid").read().strip()
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def transfer_once(argv):
    """One timed run; returns (wall ms, user ms, sys ms, stdout)."""
    out = f"{WORK}/transfer-stdout"
    with open(out, "w") as so:
        t = time.perf_counter_ns()
        p = subprocess.Popen(argv, env=ENV, stdout=so, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall = (time.perf_counter_ns() - t) / 1e6
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        raise SystemExit(f"measure.py: {' '.join(argv)} exit {rc}\n{err[-2000:]}")
    return wall, ru.ru_utime * 1000, ru.ru_stime * 1000, open(out).read()


def transfer_suite(name, tools, runs, warmup, blob_bytes):
    """tools: {label: {"cmd": f(run) -> argv, "prep": f(run) or None}}; round-robin, order rotated
    every round, as suite(). trustctl's -o json answer is kept per run (bytes_transferred)."""
    labels = list(tools)
    res = {l: {"wall_ms": [], "user_ms": [], "sys_ms": [], "registry_cpu_ms": [], "json": []} for l in labels}
    for r in range(warmup + runs):
        k = r % len(labels)
        for l in labels[k:] + labels[:k]:
            spec = tools[l]
            if spec.get("prep"):
                spec["prep"](r)
            settle()
            argv = spec["cmd"](r)
            c0 = registry_cpu_ms()
            w, u, s_, out = transfer_once(argv)
            c1 = registry_cpu_ms()
            if r == 0:
                res[l]["command"] = " ".join(argv)
            if r >= warmup:
                res[l]["wall_ms"].append(w)
                res[l]["user_ms"].append(u)
                res[l]["sys_ms"].append(s_)
                if c0 is not None and c1 is not None:
                    res[l]["registry_cpu_ms"].append(c1 - c0)
                if out.lstrip().startswith("{"):
                    j = json.loads(out)
                    res[l]["json"].append({k2: j.get(k2) for k2 in
                                           ("bytes_transferred", "blobs_transferred", "blobs_reused",
                                            "verified", "signed")})
    out = {}
    for l in labels:
        d = res[l]
        med = statistics.median(d["wall_ms"])
        out[l] = {"median_ms": med, "min_ms": min(d["wall_ms"]), "max_ms": max(d["wall_ms"]),
                  "cpu_median_ms": statistics.median([u + s_ for u, s_ in zip(d["user_ms"], d["sys_ms"])]),
                  "user_median_ms": statistics.median(d["user_ms"]),
                  "sys_median_ms": statistics.median(d["sys_ms"]),
                  "registry_cpu_median_ms": statistics.median(d["registry_cpu_ms"]) if d["registry_cpu_ms"] else None,
                  "mb_per_s": blob_bytes / 1e6 / (med / 1000), "runs": runs, "warmup": warmup, **d}
    log(f"  {name}: " + ", ".join(f"{l} {out[l]['median_ms']:.0f} ms" for l in labels))
    return out


def root_key_of(repo, trust_dir):
    """The root key ID of repo's trust data, from trustctl inspect -o json (AdministrativeKeys)."""
    j = json.loads(run(tc("-o", "json", "inspect", repo, trust_dir=trust_dir)).stdout)
    for entry in j if isinstance(j, list) else [j]:
        for role in entry.get("AdministrativeKeys", []):
            if role.get("Name") == "Root" and role.get("Keys"):
                return role["Keys"][0]["ID"]
    raise SystemExit(f"measure.py: no root key ID in trustctl inspect -o json of {repo}: {j}")


def transfer_profile(label, argv):
    """perf record -g of one trustctl run (all its threads, user and kernel); shares by library
    and the top symbols."""
    if not shutil.which("perf"):
        return None
    data = f"{WORK}/perf-{label}.data"
    p = subprocess.run(["perf", "record", "-q", "-F", "2999", "-g", "-o", data, "--", *argv],
                       env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        return {"error": p.stderr[-500:]}
    out = {}
    for key, sort in (("by_dso", "dso"), ("by_symbol", "dso,sym")):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                            "-g", "none", "--percent-limit", "1.5", "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out[key] = [l.rstrip() for l in r.stdout.splitlines() if l.strip()][:18]
    os.unlink(data)
    return out


def transfer_part():
    """trustctl push/pull of a multi-layer image against skopeo copy, on the same registry."""
    t_part = time.monotonic()
    T = {"machine": machine(), "settings": {"runs": TRANSFER_RUNS, "warmup": TRANSFER_WARMUP,
         "layers": TRANSFER_LAYERS, "layer_mib": TRANSFER_LAYER_MIB,
         "skopeo_cache": "private, emptied before every skopeo run"
         if (os.geteuid() != 0 or E.get("SKOPEO_CACHE_PRIVATE") == "1") else "shared (not emptied)"},
         "setup": []}
    log(f"transfer: generating the test image ({TRANSFER_LAYERS} layers x {TRANSFER_LAYER_MIB} MiB random, tar+gzip) ...")
    shutil.rmtree(IMG, ignore_errors=True)
    t = time.monotonic()
    img = json.loads(run(["python3", f"{os.path.dirname(os.path.abspath(__file__))}/make-image.py", IMG,
                          "--layers", str(TRANSFER_LAYERS), "--layer-mib", str(TRANSFER_LAYER_MIB),
                          "--tag", IMG_TAG]).stdout)
    T["setup"].append({"what": "make-image.py (generate the OCI layout)", "seconds": time.monotonic() - t})
    T["image"] = img
    nbytes = img["blob_bytes"]
    log(f"  {img['layers']} layers + config = {nbytes / 1e6:.1f} MB of blobs, manifest {img['manifest_digest']}")

    src_ref = f"{REG}/{SRC_REPO}:{IMG_TAG}"
    t = time.monotonic()
    run(tc("push", "--init", f"oci:{IMG}:{IMG_TAG}", src_ref, trust_dir=T_OWNER))
    T["setup"].append({"what": f"trustctl push --init (first push of {SRC_REPO}: key generation + upload + sign)",
                       "seconds": time.monotonic() - t})
    root_id = root_key_of(f"{REG}/{SRC_REPO}", T_OWNER)
    fresh(T_PULLER)
    fresh(T_PULLERP)
    run(tc("trust", "pin", f"{REG}/{SRC_REPO}", "--fingerprint", root_id, trust_dir=T_PULLER))
    run(tc("trust", "pin", f"{REGP}/{SRC_REPO}", "--fingerprint", root_id, trust_dir=T_PULLERP))
    T["root_key_id"] = root_id

    init_s = []

    def init_repo(r):  # untimed: trust data for the repository the signed push of run r goes to
        t0 = time.monotonic()
        run(tc("repo", "init", f"{REG}/push-signed-{r}", trust_dir=T_OWNER))
        init_s.append(time.monotonic() - t0)

    src = f"oci:{IMG}:{IMG_TAG}"
    log(f"transfer: push, {TRANSFER_RUNS} runs per tool (+{TRANSFER_WARMUP} warm-up), each to a new repository")
    T["push"] = transfer_suite("push", {
        "trustctl push --no-sign": {
            "cmd": lambda r: tc("-o", "json", "push", "--no-sign", src, f"{REG}/push-nosign-{r}:{IMG_TAG}",
                                trust_dir=T_OWNER)},
        "trustctl push (signed)": {
            "prep": init_repo,
            "cmd": lambda r: tc("-o", "json", "push", src, f"{REG}/push-signed-{r}:{IMG_TAG}", trust_dir=T_OWNER)},
        "skopeo copy oci: docker://": {
            "prep": lambda r: clear_skopeo_cache(),
            "cmd": lambda r: sk_copy(src, f"docker://{REG}/push-skopeo-{r}:{IMG_TAG}", "dest")},
    }, TRANSFER_RUNS, TRANSFER_WARMUP, nbytes)
    T["setup"].append({"what": f"trustctl repo init of each signed-push repository (untimed prep, median of "
                               f"{len(init_s)})", "seconds": statistics.median(init_s)})

    def fresh_dir(d):
        return lambda r: (shutil.rmtree(d, ignore_errors=True), clear_skopeo_cache())

    d_tc, d_tcu, d_sk = f"{WORK}/pull-trustctl", f"{WORK}/pull-trustctl-unverified", f"{WORK}/pull-skopeo"
    log(f"transfer: pull, {TRANSFER_RUNS} runs per tool (+{TRANSFER_WARMUP} warm-up), each into a new layout")
    T["pull"] = transfer_suite("pull", {
        "trustctl pull": {"prep": fresh_dir(d_tc),
                          "cmd": lambda r: tc("-o", "json", "pull", src_ref, f"oci:{d_tc}:{IMG_TAG}",
                                              trust_dir=T_PULLER)},
        "trustctl pull --disable-content-trust": {
            "prep": fresh_dir(d_tcu),
            "cmd": lambda r: tc("-o", "json", "pull", "--disable-content-trust", src_ref,
                                f"oci:{d_tcu}:{IMG_TAG}", trust_dir=T_PULLER)},
        "skopeo copy docker:// oci:": {"prep": fresh_dir(d_sk),
                                       "cmd": lambda r: sk_copy(f"docker://{src_ref}", f"oci:{d_sk}:{IMG_TAG}", "src")},
    }, TRANSFER_RUNS, TRANSFER_WARMUP, nbytes)
    # what each pulled: the same blobs, byte for byte
    same = []
    for d in (d_tc, d_sk):
        same.append(sorted(os.listdir(f"{d}/blobs/sha256")))
    T["pull_same_blobs"] = same[0] == same[1]
    for d in (d_tc, d_tcu, d_sk):
        shutil.rmtree(d, ignore_errors=True)

    # bytes on the wire: one more run of each through the byte-counting relay
    log("transfer: one counted run of each through the byte-counting relay ...")
    c = []
    c.append(count_one("trustctl push --no-sign", tc("push", "--no-sign", src, f"{REGP}/count-nosign:{IMG_TAG}",
                                                     trust_dir=T_OWNER)))
    c.append(count_one("skopeo copy oci: docker://", sk_copy(src, f"docker://{REGP}/count-skopeo:{IMG_TAG}", "dest"),
                       prep=clear_skopeo_cache))
    d_c = f"{WORK}/pull-count"
    c.append(count_one("trustctl pull (cold trust dir)", tc("pull", f"{REGP}/{SRC_REPO}:{IMG_TAG}",
                                                            f"oci:{d_c}:{IMG_TAG}", trust_dir=T_PULLERP),
                       prep=lambda: shutil.rmtree(d_c, ignore_errors=True)))
    c.append(count_one("skopeo copy docker:// oci:", sk_copy(f"docker://{REGP}/{SRC_REPO}:{IMG_TAG}",
                                                             f"oci:{d_c}:{IMG_TAG}", "src"),
                       prep=lambda: (shutil.rmtree(d_c, ignore_errors=True), clear_skopeo_cache())))
    shutil.rmtree(d_c, ignore_errors=True)
    for x in c:
        x.pop("debug_requests", None)
        log(f"  {x['label']}: {x['requests']} requests, {x['wire_bytes_up'] / 1e6:.1f} MB up, "
            f"{x['wire_bytes_down'] / 1e6:.1f} MB down, {x['tcp_connections']} connection(s)")
    T["bytes"] = c

    # where trustctl's time goes
    log("transfer: perf profiles of trustctl push --no-sign and pull ...")
    T["perf_push"] = transfer_profile("push", tc("push", "--no-sign", src, f"{REG}/perf-push:{IMG_TAG}",
                                                 trust_dir=T_OWNER))
    shutil.rmtree(f"{WORK}/perf-pull", ignore_errors=True)
    settle()
    T["perf_pull"] = transfer_profile("pull", tc("pull", src_ref, f"oci:{WORK}/perf-pull:{IMG_TAG}",
                                                 trust_dir=T_PULLER))
    shutil.rmtree(f"{WORK}/perf-pull", ignore_errors=True)
    T["elapsed_s"] = time.monotonic() - t_part
    T["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().strip()
    log(f"transfer part done in {T['elapsed_s']:.0f} s")
    return T

def trust_part(result, save):
    """trustctl verify/sign/inspect against notary (and skopeo inspect) at each tag count."""
    for k in ("machine", "levels", "populate", "settings", "root_key_id", "elapsed_s"):
        result.pop(k, None)
    result.update({"machine": machine(), "levels": {}, "populate": [], "settings": {"runs": RUNS, "runs_big": RUNS_BIG,
                   "sign_runs": SIGN_RUNS, "warmup": WARMUP, "levels": LEVELS}})

    # the manifest every tag points at
    m = run(["curl", "-sf", "--cacert", E["REG_CA"], "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
             "-D", f"{WORK}/m.hdr", "-o", f"{WORK}/m.json", f"https://{REG}/v2/secure-app/manifests/signed"])
    mbytes = open(f"{WORK}/m.json", "rb").read()
    import hashlib
    mdigest = hashlib.sha256(mbytes).hexdigest()
    mtype = "application/vnd.oci.image.manifest.v1+json"
    # tags for the sign runs (one new tag per run), pushed once
    sign_tags = [f"s{i:05d}" for i in range(1, 400)]
    put_tags(sign_tags, f"{WORK}/m.json", mtype)

    # level 1: both sides hold exactly the tag "signed"
    log("initialising trustctl trust data (sign --init: key generation, scrypt, publish) ...")
    t = time.monotonic()
    p = run(tc("sign", "--init", f"{REPO}:signed"))
    root_id = re.search(r"root key ([0-9a-f]{64})", p.stdout + p.stderr).group(1)
    result["populate"].append({"what": "trustctl sign --init (1 tag)", "seconds": time.monotonic() - t})
    run(tc("trust", "pin", REPO, "--fingerprint", root_id, trust_dir=PINNED))
    run(tc("trust", "pin", REPOP, "--fingerprint", root_id, trust_dir=PINNEDP))
    fresh(PULLER, PINNED)
    log("initialising notary (init + addhash + publish) ...")
    t = time.monotonic()
    run(notary(N_OWNER, "init", GUN))
    run(notary(N_OWNER, "addhash", GUN, "signed", str(len(mbytes)), "--sha256", mdigest))
    run(notary(N_OWNER, "publish", GUN))
    result["populate"].append({"what": "notary init + addhash + publish (1 tag)", "seconds": time.monotonic() - t})
    fresh(N_PULLER)
    result["root_key_id"] = root_id

    have = 1
    for level in LEVELS:
        if level > have:
            names = [f"t{i:05d}" for i in range(have, level)]
            log(f"populating to {level} tags: PUT {len(names)} manifest tags (curl, 16 in parallel) ...")
            t = time.monotonic()
            put_tags(names, f"{WORK}/m.json", mtype)
            result["populate"].append({"what": f"PUT {len(names)} tags (curl -Z)", "seconds": time.monotonic() - t})
            log(f"  trustctl sign of {len(names)} tags in chunks of <= 5000 (one publish each) ...")
            t = time.monotonic()
            for c in range(0, len(names), 5000):
                run(tc("sign", *[f"{REPO}:{n}" for n in names[c:c + 5000]]))
            result["populate"].append({"what": f"trustctl sign {len(names)} tags", "seconds": time.monotonic() - t})
            log(f"  notary: {len(names)} changelist entries written directly + one notary publish ...")
            t = time.monotonic()
            notary_stage(names, len(mbytes), mdigest)
            run(notary(N_OWNER, "publish", GUN))
            result["populate"].append({"what": f"notary stage {len(names)} + publish", "seconds": time.monotonic() - t})
            have = level
        runs = RUNS_BIG if level >= 10000 else RUNS
        log(f"level {level} tags: {runs} runs per tool (+{WARMUP} warm-up), tools alternating")
        L = result["levels"][str(level)] = {"tags": level, "sizes": {}}

        # sizes of the targets metadata each side must fetch and verify
        tdir = f"{OWNER}/tuf"
        L["sizes"]["notary_targets_json_bytes"] = os.path.getsize(f"{N_OWNER}/tuf/{GUN}/metadata/targets.json")
        biggest = 0
        for root, _, files in os.walk(f"{OWNER}/cache"):
            for fn in files:
                biggest = max(biggest, os.path.getsize(os.path.join(root, fn)))
        L["sizes"]["trustctl_largest_cached_blob_bytes"] = biggest
        # the targets metadata as served, and how many targets each side really holds
        nt = run(["curl", "-sf", "--cacert", E["NOTARY_CA"], f"{E['NOTARY_URL']}/v2/{GUN}/_trust/tuf/targets.json"]).stdout
        ntj = json.loads(nt)["signed"]["targets"]
        L["sizes"]["notary_targets_served_bytes"] = len(nt.encode())
        L["sizes"]["notary_targets_count"] = len(ntj)
        L["sizes"]["notary_target_entry_example"] = json.dumps({"signed": ntj.get("signed")}, separators=(",", ":"))
        best = None
        for root, _, files in os.walk(f"{OWNER}/cache"):
            for fn in files:
                try:
                    j = json.load(open(os.path.join(root, fn)))
                    t = j["signed"]["targets"]
                except Exception:
                    continue
                if best is None or len(t) > len(best[1]):
                    best = (os.path.getsize(os.path.join(root, fn)), t)
        if best:
            L["sizes"]["trustctl_targets_bytes"] = best[0]
            L["sizes"]["trustctl_targets_count"] = len(best[1])
            L["sizes"]["trustctl_target_entry_example"] = json.dumps({"signed": best[1].get("signed")},
                                                                     separators=(",", ":"))
        log(f"  sizes: {L['sizes'].get('trustctl_targets_count')} targets in trustctl's targets "
            f"({L['sizes'].get('trustctl_targets_bytes')} B), {len(ntj)} in notary's ({len(nt)} B)")

        L["verify"] = suite(f"verify @{level}", {
            "trustctl verify": {"cmd": [tc("verify", f"{REPO}:signed", trust_dir=PULLER)]},
            "notary lookup": {"cmd": [notary(N_PULLER, "lookup", GUN, "signed")]},
            "skopeo inspect --raw": {"cmd": [skopeo(REG)]},
        }, runs)
        L["verify_cold"] = suite(f"cold verify @{level}", {
            "trustctl verify (cold, pinned root)": {"cmd": [tc("verify", f"{REPO}:signed", trust_dir=COLD)],
                                                    "prep": lambda: fresh(COLD, PINNED)},
            "notary lookup (cold, TOFU)": {"cmd": [notary(N_COLD, "lookup", GUN, "signed")],
                                           "prep": lambda: fresh(N_COLD)},
        }, runs)
        L["inspect"] = suite(f"inspect @{level}", {
            "trustctl inspect": {"cmd": [tc("inspect", REPO, trust_dir=PULLER)]},
            "notary list": {"cmd": [notary(N_PULLER, "list", GUN)]},
        }, runs)
        L["process_start"] = suite(f"process start @{level}", {
            "trustctl version": {"cmd": [[TRUSTCTL, "version"]]},
            "notary version": {"cmd": [["notary", "version"]]},
            "curl GET /v2/ (TLS)": {"cmd": [["curl", "-sf", "-o", "/dev/null", "--cacert", E["REG_CA"],
                                              f"https://{REG}/v2/"]]},
        }, runs) if level == LEVELS[0] else None

        # (d) requests and bytes per verify, through the byte-counting relays
        c = []
        c.append(count_one("trustctl verify cold (pinned root)",
                           tc("--debug", "verify", f"{REPOP}:signed", trust_dir=COLD),
                           prep=lambda: fresh(COLD, PINNEDP)))
        c.append(count_one("trustctl verify warm", tc("--debug", "verify", f"{REPOP}:signed", trust_dir=COLD)))
        c.append(count_one("trustctl inspect warm", tc("--debug", "inspect", REPOP, trust_dir=COLD)))
        nurl = E["NOTARY_PROXY_URL"]
        c.append(count_one("notary lookup cold (TOFU)", notary(N_COLD, "lookup", GUN, "signed", url=nurl),
                           prep=lambda: fresh(N_COLD), server_log="NOTARY_SERVER_LOG",
                           proxy_log="PROXY_LOG_NOTARY"))
        c.append(count_one("notary lookup warm", notary(N_COLD, "lookup", GUN, "signed", url=nurl),
                           server_log="NOTARY_SERVER_LOG", proxy_log="PROXY_LOG_NOTARY"))
        c.append(count_one("notary list warm", notary(N_COLD, "list", GUN, url=nurl),
                           server_log="NOTARY_SERVER_LOG", proxy_log="PROXY_LOG_NOTARY"))
        c.append(count_one("skopeo inspect --raw", skopeo(REGP)))
        L["bytes"] = c
        for x in c:
            log(f"  {x['label']}: {x['requests']} requests, {x['wire_bytes_down']} B down / "
                f"{x['wire_bytes_up']} B up on the wire, {x['tcp_connections']} connection(s)")

        # where trustctl's CPU goes (perf, user+kernel samples of the trustctl process only)
        L["perf_warm_verify"] = perf_profile(f"warm-{level}", None,
                                             tc("verify", f"{REPO}:signed", trust_dir=PULLER), 10)
        L["perf_cold_verify"] = perf_profile(
            f"cold-{level}", f"rm -rf '{COLD}' && cp -a '{PINNED}' '{COLD}'",
            tc("verify", f"{REPO}:signed", trust_dir=COLD), 5)

        L["sign"] = suite(f"sign one more tag @{level}", {
            "trustctl sign": {"cmd": [tc("sign", f"{REPO}:s{{i}}")]},
            "notary addhash + publish": {"cmd": [
                notary(N_OWNER, "addhash", GUN, "s{i}", str(len(mbytes)), "--sha256", mdigest),
                notary(N_OWNER, "publish", GUN)]},
        }, SIGN_RUNS, warmup=1)
        save()
    result["elapsed_s"] = time.monotonic() - T0
    result["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().strip()
    save()
    log(f"trust part done in {result['elapsed_s']:.0f} s")


def main():
    out_path = sys.argv[1]
    os.makedirs(f"{HOME}/.docker/certs.d/{REG}", exist_ok=True)
    os.makedirs(f"{HOME}/.docker/certs.d/{REGP}", exist_ok=True)
    shutil.copy(E["REG_CA"], f"{HOME}/.docker/certs.d/{REG}/ca.crt")
    shutil.copy(E["REG_CA"], f"{HOME}/.docker/certs.d/{REGP}/ca.crt")
    with open(EMPTY_AUTH, "w") as f:
        f.write('{"auths":{}}')
    # A part not measured in this run keeps its results from the previous one (each part records
    # its own date and machine load), so one part can be re-run alone.
    result = {}
    if os.path.exists(out_path):
        try:
            with open(out_path) as f:
                result = json.load(f)
        except ValueError:
            result = {}

    def save():
        tmp = out_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, out_path)

    if "trust" in PARTS:
        trust_part(result, save)
    if "transfer" in PARTS:
        result["transfer"] = transfer_part()
        save()
    log(f"measurements done in {time.monotonic() - T0:.0f} s")




if __name__ == "__main__":
    main()
