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


def main():
    out_path = sys.argv[1]
    os.makedirs(f"{HOME}/.docker/certs.d/{REG}", exist_ok=True)
    os.makedirs(f"{HOME}/.docker/certs.d/{REGP}", exist_ok=True)
    shutil.copy(E["REG_CA"], f"{HOME}/.docker/certs.d/{REG}/ca.crt")
    shutil.copy(E["REG_CA"], f"{HOME}/.docker/certs.d/{REGP}/ca.crt")
    with open(EMPTY_AUTH, "w") as f:
        f.write('{"auths":{}}')
    result = {"machine": machine(), "levels": {}, "populate": [], "settings": {"runs": RUNS, "runs_big": RUNS_BIG,
              "sign_runs": SIGN_RUNS, "warmup": WARMUP, "levels": LEVELS}}

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
        with open(out_path, "w") as f:
            json.dump(result, f, indent=1)
    result["elapsed_s"] = time.monotonic() - T0
    result["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().strip()
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
    log(f"measurements done in {result['elapsed_s']:.0f} s")


if __name__ == "__main__":
    main()
