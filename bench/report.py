#!/usr/bin/env python3
"""report.py RESULTS.json OUT.md OUT.svg -- writes docs/benchmarks.md and the plot from the raw
results of bench/measure.py (stdlib + gnuplot). Rerunnable on old results without re-measuring."""
import json, os, re, statistics, subprocess, sys

res_path, md_path, svg_path = sys.argv[1:4]
R = json.load(open(res_path))
M = R.get("machine") or (R.get("transfer") or {}).get("machine", {})
LV = R.get("levels") or {}
levels = [str(l) for l in (R.get("settings") or {}).get("levels", []) if str(l) in LV]


def med(level, suite, tool):
    s = LV[level].get(suite) or {}
    return s.get(tool, {}).get("median_ms")


def cpu(level, suite, tool):
    return LV[level][suite][tool]["cpu_median_ms"]


def f(x, d=1):
    return "–" if x is None else f"{x:,.{d}f}"


def ratio(a, b):
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def trunc(x, n=120):
    x = x.strip()
    return x if len(x) <= n else x[:n] + "…"


def tags(l):
    return f"{int(l):,}"


def short(cmd):
    work = os.environ.get("WORK_HINT")
    out = cmd
    for k in ("TRUSTCTL",):
        pass
    # hide machine-specific paths so the commands read as what a user types
    import re
    out = re.sub(r"\S*/build-bench/src/cli/trustctl", "trustctl", out)
    out = re.sub(r"/tmp/trustctl-bench\.\w+", "$WORK", out)
    out = re.sub(r"127\.0\.0\.1:\d+", lambda m: m.group(0).split(":")[0] + ":PORT", out)
    return out


# ------------------------------------------------------------------ image transfer
def transfer_section(w):
    T = R.get("transfer")
    if not T:
        return
    TM, TS_, img = T["machine"], T["settings"], T["image"]
    nb = img["blob_bytes"]
    PU, PL = T["push"], T["pull"]
    SKP, SKL = "skopeo copy oci: docker://", "skopeo copy docker:// oci:"

    def sec(x):
        return "–" if x is None else f"{x / 1000:,.2f}"

    w("## Image transfer: push and pull vs skopeo copy\n")
    w(f"Measured {TM['date']} (`PARTS=transfer` measures this part alone), "
      f"{TS_['warmup']} warm-up + {TS_['runs']} runs per command, the commands alternating round-robin "
      f"with the order rotated every round; load average at start `{TM.get('loadavg_at_start', '?')}`, "
      f"at end `{TM.get('loadavg_at_end', '?')}`; the part took {T.get('elapsed_s', 0) / 60:.1f} min.\n")
    w(f"**The image**: {img['layers']} layers of {img['layer_mib']} MiB of pseudo-random bytes each "
      "(`bench/make-image.py`: Python's Mersenne Twister seeded per layer, one file per layer, tar'ed "
      "and gzip'd at level 1 – incompressible, so the layer blobs are as large as their content), "
      f"an OCI image config and an OCI manifest, as an OCI image layout with the tag `{img['tag']}`. "
      f"Blobs: {nb:,} bytes ({nb / 1e6:.1f} MB: layers of "
      + ", ".join(f"{b:,}" for b in img["layer_bytes"]) + f" bytes, config {img['config_bytes']} bytes); "
      f"manifest `{img['manifest_digest']}`. The same seed gives the same digests on every run.\n")
    w("**Method.**")
    w("- *Push*: every run pushes to a repository of its own (`push-nosign-N`, `push-signed-N`, "
      "`push-skopeo-N`), so every blob is uploaded (`HEAD` → 404 → `POST` + `PUT`); registry:2 "
      "stores blobs by digest, but a blob counts as present in a repository only once it was "
      "uploaded or mounted there. trustctl mounts only when told to (not here). skopeo would mount "
      "blobs it remembers from an earlier push (containers/image's blob-info cache): each skopeo run "
      f"starts with the cache empty (cache: {TS_.get('skopeo_cache')}).")
    w("- *Signed push*: `trustctl push` signs the pushed digest, which needs trust data for the "
      "repository. Each `push-signed-N` gets it from `trustctl repo init` just before its run, "
      "**untimed** (key generation and scrypt, "
      + next((f"{p['seconds']:.1f} s" for p in T["setup"] if "repo init" in p["what"]), "?") +
      " per repository; `push --init` would add that to the push). The timed signed push is then "
      "what a CI job pushing a new image to an existing repository pays.")
    w("- *Pull*: from `bench-image` (pushed and signed once before the timings), into a new OCI "
      "layout every run (the previous one deleted), so every blob is downloaded. trustctl pulls with "
      "its own trust dir: root pinned by `trustctl trust pin`, warm after the warm-up run (a cold "
      "trust dir adds the few KB of metadata in the bytes table below).")
    w("- Before every timed run: `sync`, so the write-back of one run (the registry's storage, the "
      "last layout) does not land in the next run's time. Times are wall clock of the whole command.\n")
    w("Commands (`$WORK` = the run's temporary directory; N = the run's number):\n")
    w("```")
    for S in (PU, PL):
        for l, d in S.items():
            c = short(d.get("command", ""))
            c = re.sub(r"(push-(?:nosign|signed|skopeo))-0", r"\1-N", c)
            w(c)
    w("```\n")

    def table(S, ref_label, title, rows_note):
        ref = S[ref_label]["median_ms"]
        w(f"### {title}\n")
        w("| command | median s | min – max s | MB/s (median) | CPU user + sys s | registry CPU s | trustctl / skopeo |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        for l, d in S.items():
            r_ = "1 (reference)" if l == ref_label else f"**{d['median_ms'] / ref:.2f}**"
            w(f"| `{l}` | {sec(d['median_ms'])} | {sec(d['min_ms'])} – {sec(d['max_ms'])} | "
              f"{d['mb_per_s']:.0f} | {sec(d['user_median_ms'])} + {sec(d['sys_median_ms'])} | "
              f"{sec(d.get('registry_cpu_median_ms'))} | {r_} |")
        w("")
        if rows_note:
            w(rows_note + "\n")

    table(PU, SKP, "Push: `trustctl push` vs `skopeo copy oci:… docker://…`",
          "MB/s = blob bytes / median wall time. CPU: the command's own (rusage, all threads); registry CPU: what "
          "the registry:2 process used during the run (`/proc/PID/stat`), medians.")
    table(PL, SKL, "Pull: `trustctl pull` vs `skopeo copy docker://… oci:…`", "")

    def moved(S, label):
        js = S[label].get("json") or []
        vals = sorted({j.get("bytes_transferred") for j in js})
        return vals

    checks = []
    for S, l in ((PU, "trustctl push --no-sign"), (PU, "trustctl push (signed)"), (PL, "trustctl pull"),
                 (PL, "trustctl pull --disable-content-trust")):
        if l in S:
            v = moved(S, l)
            checks.append(f"`{l}`: " + (f"{v[0]:,} bytes in every run" if len(v) == 1 else
                                        "varied: " + ", ".join(f"{x:,}" for x in v)) +
                          (" (= all blobs)" if v == [nb] else " (**not** all blobs)"))
    signed = {j.get("signed") for j in PU.get("trustctl push (signed)", {}).get("json", [])}
    verified = {j.get("verified") for j in PL.get("trustctl pull", {}).get("json", [])}
    w("trustctl's own count of blob bytes sent or received (`-o json` `bytes_transferred`, every timed run): "
      + "; ".join(checks) + f". Signed pushes reported `signed` = {sorted(signed)}, verified pulls "
      f"`verified` = {sorted(verified)}; both pulls wrote the same blob files as skopeo's: "
      f"{'yes' if T.get('pull_same_blobs') else 'NO'}.\n")

    w("Bytes on the wire, one more run of each through the byte-counting relay (TLS included), "
      "requests from the registry's log:\n")
    w("| command | requests | TCP connections | MB up (wire) | MB down (wire) | wire / blob bytes |")
    w("|---|---:|---:|---:|---:|---:|")
    for b in T["bytes"]:
        main_dir = max(b["wire_bytes_up"], b["wire_bytes_down"])
        w(f"| {b['label']} | {b['requests']} | {b['tcp_connections']} | {b['wire_bytes_up'] / 1e6:,.2f} | "
          f"{b['wire_bytes_down'] / 1e6:,.2f} | {main_dir / nb:.4f} |")
    w("")
    w("**What each side checks.** `trustctl pull` refreshes and verifies the repository's TUF trust data "
      "(root pinned, signatures, versions, expiry), takes the manifest digest from the signed target, "
      "checks the manifest against the signed length and sha256 and every config and layer blob "
      "against the digest and size the manifest names, writing each blob under its name only after "
      "it matched. `skopeo copy docker://… oci:…` checks each blob against the digest the manifest "
      "names too, but the manifest is whatever the registry's tag points to: no signature, no "
      "freshness. `trustctl pull --disable-content-trust` is trustctl with the trust step left out "
      "(the same digest checks, the tag as the registry serves it), which isolates what the "
      "verification costs. On push, `trustctl push` re-hashes every blob as it streams it from the "
      "layout and (signed) signs and publishes the digest it pushed; skopeo sends the blobs with "
      "their digests and signs nothing.\n")

    pus, pls = PU[SKP]["median_ms"], PL[SKL]["median_ms"]
    facts = []
    for S, l, ref in ((PU, "trustctl push --no-sign", pus), (PU, "trustctl push (signed)", pus),
                      (PL, "trustctl pull", pls), (PL, "trustctl pull --disable-content-trust", pls)):
        if l in S:
            x = S[l]["median_ms"] / ref
            a, b = S[l], S[SKP if S is PU else SKL]
            overlap = a["min_ms"] <= b["max_ms"] and b["min_ms"] <= a["max_ms"]
            facts.append(f"`{l}` {x:.2f}× skopeo ({'faster or equal' if x <= 1.0 else 'slower'}"
                         f"{', run ranges overlap' if overlap else ''})")
    w("**Result.** " + "; ".join(facts) + ".")
    if "trustctl push (signed)" in PU and "trustctl push --no-sign" in PU:
        d = PU["trustctl push (signed)"]["median_ms"] - PU["trustctl push --no-sign"]["median_ms"]
        sign_ms = next((v.get("median_ms") for lv in (R.get("levels") or {}).values()
                        for k, v in (lv.get("sign") or {}).items() if k == "trustctl sign"), None)
        w(f"Signing adds {d / 1000:.2f} s to a push (median signed minus median unsigned)"
          + (f"; a lone `trustctl sign` took {sign_ms / 1000:.2f} s in the trust part above, most of it "
             "the publish settle and scrypt described there" if sign_ms else "") + ".")
    if "trustctl pull --disable-content-trust" in PL:
        d = PL["trustctl pull"]["median_ms"] - PL["trustctl pull --disable-content-trust"]["median_ms"]
        w(f"Verification adds {d:.0f} ms to a pull (median verified minus median unverified: "
          "the trust-data refresh, a `HEAD` when the trust dir is warm).")
    w("")
    w("**Where the time goes.** Both tools spend their CPU on the same work: TLS decryption or "
      "encryption and SHA-256 of every byte (libcrypto: OpenSSL for trustctl, Go's crypto for "
      "skopeo), socket reads and writes, and file writes (kernel). Both write each blob to a "
      "temporary file, `fsync` it and rename it into place. trustctl speaks HTTP/1.1 to the "
      "registry, one connection per parallel transfer, as skopeo does; over HTTP/2 (libcurl's "
      "default over TLS, trustctl's before this benchmark) registry:2 sent the blobs in small "
      "frames and TLS records, which cost the registry about twice the CPU and made trustctl's "
      "pull markedly slower (the commit that switched, `git log src/http/curl_client.cc`, has the "
      "numbers).\n")
    for key, title in (("perf_push", "trustctl push --no-sign"), ("perf_pull", "trustctl pull")):
        p = T.get(key) or {}
        if p.get("by_dso"):
            w(f"CPU profile of one {title}, `perf record -F 2999 -g` (all threads, user and kernel), by library "
              "and top symbols (libcrypto has no symbols in Debian's package):\n")
            w("```\n" + "\n".join(x.strip() for x in p["by_dso"][:8]) + "\n\n" +
              "\n".join(trunc(x) for x in p.get("by_symbol", [])[:12]) + "\n```\n")
    if T.get("notes"):
        for n in T["notes"]:
            w(n)
        w("")


def webhook_section(w):
    """The "Admission webhook" section from bench/results/webhook.json (bench/webhook.sh)."""
    path = os.path.join(os.path.dirname(os.path.abspath(res_path)), "webhook.json")
    if not os.path.exists(path):
        return
    W = json.load(open(path))
    rounds = len(W["healthz"].get("rounds", [])) or 1
    w("## Admission webhook (`trustctl serve`)\n")
    w(f"Measured by `bench/webhook.sh` ({W['date']}, {W['machine']}): a TLS registry:2 with one signed "
      "image, `trustctl serve` on loopback with a policy pinning its root, and an AdmissionReview of a "
      "hardened Deployment (`kubectl create deployment … -o json`) that is admitted. The load generator "
      "`bench/webhook_load.cc` holds "
      f"{W['healthz']['connections']} keep-alive HTTPS connections, sends each request in one TLS write "
      "(as the API server's Go client sends a small review) and checks every answer; it runs on "
      "the same two cores as the server, so the server's own capacity is higher than these numbers. "
      f"The warm runs alternate the endpoints for {rounds} rounds on one server; each figure is the "
      "median over the rounds.\n")
    ms = lambda us: f"{us / 1000:.2f} ms"
    def row(label, r, rate=True):
        w(f"| {label} | {r['rps']:,} | {ms(r['p50_us'])} | {ms(r['p90_us'])} | {ms(r['p99_us'])} | "
          f"{ms(r['max_us'])} |")
    w("Closed loop (each connection sends its next request when the answer came: as fast as it goes):\n")
    w("| | requests/s | p50 | p90 | p99 | max |")
    w("|---|---|---|---|---|---|")
    for label, key in [("`GET /healthz` (the server's floor)", "healthz"),
                       ("`POST /validate`, warm (verified results in memory)", "validate_warm"),
                       ("`POST /mutate`, warm (with the JSON Patch)", "mutate_warm"),
                       ("`POST /validate`, `--recheck 0s` (one HEAD of the trust data per review)",
                        "validate_recheck")]:
        if key in W:
            row(label, W[key])
    cold = W.get("cold_first_review")
    if cold:
        w(f"| cold: the first review of a new webhook with an empty state dir ({cold['runs']} runs) | – | "
          f"{ms(cold['median_us'])} | | | {ms(cold['max_us'])} |")
    w("")
    if "healthz_rate" in W:
        rate = W["healthz_rate"]["offered_rps"]
        w(f"Open loop at {rate:,} requests/s (requests due at a fixed rate, each timed from when it was "
          "due, so a stall is counted):\n")
        w("| | requests/s | p50 | p90 | p99 | max |")
        w("|---|---|---|---|---|---|")
        row("`GET /healthz`", W["healthz_rate"])
        row("`POST /validate`, warm", W["validate_rate"])
        w("")
    hz, warm = W["healthz"], W["validate_warm"]
    ratio = warm["p99_us"] / hz["p99_us"]
    met = lambda ok: "met" if ok else "not met"
    w(f"Goals of issue 15: warm decisions at p99 within 1.5× the p99 of `/healthz` on the same server, "
      f"and at least 5,000 requests per second. Measured (closed loop): {warm['rps']:,} requests/s "
      f"({met(warm['rps'] >= 5000)}); warm p99 {ratio:.2f}× the `/healthz` p99 ({met(ratio <= 1.5)}).")
    if "healthz_rate" in W:
        o = W["validate_rate"]["p99_us"] / W["healthz_rate"]["p99_us"]
        p = W["validate_rate"]["p50_us"] / W["healthz_rate"]["p50_us"]
        w(f"At the fixed rate: p50 {p:.2f}×, p99 {o:.2f}× (there the slowest 1 % of either endpoint is "
          "set by this virtual machine's scheduling stalls more than by the server: the rounds in the "
          "raw data show how far it moves from one round to the next).")
    w("\nA warm review reads the body in place (`JsonDocument`: one array of nodes over the text, no "
      "DOM), reads the object into admission's container model from those nodes, evaluates it and "
      "writes the answer directly. What is left of its cost next to `/healthz` is mostly the HTTP "
      "server's reading of a request body and the findings the evaluation builds.\n")
    if "recheck_registry_requests" in W:
        n = W["validate_recheck"]["requests"]
        w(f"With `--recheck 0s` the webhook made {W['recheck_registry_requests']:,} registry requests "
          f"for {n:,} timed reviews and their warm-up: one HEAD each, serialised per repository (single "
          "flight), which is why eight connections wait for each other there.")
    w("\nRaw data: `bench/results/webhook.json`.\n")


V, VC, I, S, P = "verify", "verify_cold", "inspect", "sign", "process_start"
TV, NV, SV = "trustctl verify", "notary lookup", "skopeo inspect --raw"
TVC, NVC = "trustctl verify (cold, pinned root)", "notary lookup (cold, TOFU)"
TI, NI = "trustctl inspect", "notary list"
TS, NS = "trustctl sign", "notary addhash + publish"
if not levels:  # only the transfer part has been measured
    out = ["# Benchmarks: trustctl image transfer against skopeo\n",
           "<!-- generated by bench/run.sh (bench/report.py); edit those, not this file -->\n"]
    transfer_section(out.append)
    webhook_section(out.append)
    with open(md_path, "w") as fh:
        fh.write("\n".join(out) + "\n")
    sys.exit(0)
first, last = levels[0], levels[-1]

# ------------------------------------------------------------------ plot
dat = os.path.splitext(svg_path)[0] + ".dat"
os.makedirs(os.path.dirname(svg_path) or ".", exist_ok=True)
with open(dat, "w") as fh:
    fh.write("# tags trustctl_verify notary_lookup skopeo trustctl_cold notary_cold trustctl_inspect "
             "notary_list trustctl_sign notary_sign (median ms)\n")
    for l in levels:
        vals = [med(l, V, TV), med(l, V, NV), med(l, V, SV), med(l, VC, TVC), med(l, VC, NVC),
                med(l, I, TI), med(l, I, NI), med(l, S, TS), med(l, S, NS)]
        fh.write(l + " " + " ".join("NaN" if v is None else f"{v:.2f}" for v in vals) + "\n")
gp = f"""
set terminal svg size 1350,430 dynamic font 'sans,11' background rgb 'white'
set output '{svg_path}'
set multiplot layout 1,3 title 'trustctl vs notary (DCT) vs skopeo: median wall time per command, {M['nproc']} cores, loopback'
set logscale x
set xrange [0.7:{int(last) * 1.5}]
set xlabel 'signed tags in the repository'
set ylabel 'median ms'
set key top left
set grid
set yrange [0:*]
set title 'look-up of one tag'
plot '{dat}' u 1:2 w lp lw 2 pt 7 t 'trustctl verify (warm)', \\
     '' u 1:5 w lp lw 2 pt 6 dt 2 t 'trustctl verify (cold)', \\
     '' u 1:3 w lp lw 2 pt 5 t 'notary lookup (warm)', \\
     '' u 1:6 w lp lw 2 pt 4 dt 2 t 'notary lookup (cold)', \\
     '' u 1:4 w lp lw 2 pt 9 t 'skopeo inspect --raw (unverified)'
set title 'list every signed tag'
plot '{dat}' u 1:7 w lp lw 2 pt 7 t 'trustctl inspect', '' u 1:8 w lp lw 2 pt 5 t 'notary list'
set title 'sign one more tag (log y)'
set logscale y
set yrange [*:*]
plot '{dat}' u 1:9 w lp lw 2 pt 7 t 'trustctl sign', '' u 1:10 w lp lw 2 pt 5 t 'notary addhash + publish'
unset multiplot
"""
plot_ok = subprocess.run(["gnuplot"], input=gp, text=True).returncode == 0

# ------------------------------------------------------------------ numbers for the prose
tv = {l: med(l, V, TV) for l in levels}
nv = {l: med(l, V, NV) for l in levels}
sv = {l: med(l, V, SV) for l in levels}
tvc = {l: med(l, VC, TVC) for l in levels}
nvc = {l: med(l, VC, NVC) for l in levels}
ps = LV[first].get(P) or {}
t_start = ps.get("trustctl version", {}).get("median_ms")
n_start = ps.get("notary version", {}).get("median_ms")
curl_tls = ps.get("curl GET /v2/ (TLS)", {}).get("median_ms")
B = {l: {b["label"]: b for b in LV[l]["bytes"]} for l in levels}
sizes = {l: LV[l]["sizes"] for l in levels}


def per_tag(d):
    if len(levels) < 2 or d[first] is None or d[last] is None:
        return None
    return (d[last] - d[first]) / (int(last) - int(first)) * 1000  # µs per tag


out = []
w = out.append
w("# Benchmarks: trustctl against Docker Content Trust (notary) and skopeo\n")
w("<!-- generated by bench/run.sh (bench/report.py); edit those, not this file -->\n")
w("One command measures everything below on one machine, in one run, alternating the tools:\n")
w("```sh\nbench/run.sh        # installs (apt), builds Release in build-bench/, starts the services, measures,\n"
  "                    # writes bench/results/results.json, docs/benchmarks.md and docs/benchmarks.svg\n"
  "LEVELS='1 1000' RUNS=5 bench/run.sh   # a quicker run\n"
  "PARTS=transfer bench/run.sh           # only push/pull vs skopeo (the rest of results.json is kept)\n```\n")
w(f"Run of {M['date']}; measuring the trust part took {R.get('elapsed_s', 0) / 60:.1f} min (plus install and "
  "build; the image-transfer part gives its own date and time in its section).\n")

w("## Machine\n")
w("| | |\n|---|---|")
w(f"| CPU | {M['cpu']}, `nproc` = {M['nproc']} |")
w(f"| memory | {M['memory']} |")
w(f"| OS | {M['os']}, {M['kernel']} |")
w(f"| trustctl | {M['trustctl']} (Release build) |")
w("| packages | " + "; ".join(M["packages"].splitlines()) + " |")
w(f"| load average (1/5/15 min) | start `{M.get('loadavg_at_start', '?')}`, end `{M.get('loadavg_at_end', '?')}` |")
w("")
w("The machine is shared (other builds and tests ran during the run: see the load average), "
  "so absolute times carry noise; the tools were interleaved round-robin, with the order rotated "
  "every round, so the noise falls on all of them alike and the **ratios** are the robust result.\n")

w("## Set-up and method\n")
w("- **Registry**: Debian's `docker-registry` 2.8 (registry:2) started by `trustctl-testenv start DIR --tls` "
  "(TLS with its own CA) on a free loopback port. The image is the lab's `secure-app` "
  "(`registry-fixtures/push-images.sh`); every benchmark tag is the same 401-byte OCI manifest PUT under "
  "another name with `curl -Z -K` (16 in parallel).")
w("- **Notary**: Debian's `notary-server` + `notary-signer` 0.7.0, in-memory storage, TLS with a P-256 CA made "
  "by `bench/notary-stack.sh` with openssl, on free loopback ports. GUN = the registry's `HOST:PORT/secure-app`, "
  "client-held targets and snapshot keys (notary's default), each target = (tag, sha256, length) as DCT writes it.")
w("- **Tag counts**: both sides hold the same signed tags, 1 → " + " → ".join(tags(l) for l in levels[1:]) +
  ". trustctl got them with `trustctl sign REPO:t1 REPO:t2 …` (one publish per ≤5,000 tags); notary with "
  "changelist entries written directly into the owner's trust dir (exactly the JSON `notary addhash` writes, "
  "one `.change` file per tag), then **one** `notary publish` – 10,000 `addhash` processes would have "
  "taken minutes. The sign runs add one tag each, so a level holds up to "
  f"{R['settings']['sign_runs'] + 1} tags more per earlier level.")
w(f"- **Timing**: own loop (`bench/measure.py`: fork/exec + `wait4`, wall clock by `perf_counter_ns`, CPU from "
  f"rusage), {R['settings']['warmup']} warm-up + {R['settings']['runs']} runs per tool "
  f"({R['settings']['runs_big']} at 10,000 tags; sign: 1 + {R['settings']['sign_runs']}), tools alternating "
  "round-robin; the tables give **medians** (min–max and every raw run are in `bench/results/results.json`).")
w("- **Warm** = the trust dir already holds the current metadata (each tool's own puller dir, warmed by the "
  "warm-up runs). **Cold** = an empty trust dir and cache before every run; trustctl's root pinned with "
  "`trustctl trust pin REPO --fingerprint ID`, notary trusting its root on first use (its default) – both "
  "still download root.")
w("- **Requests and bytes**: one extra run of each, through a byte-counting TCP relay (`bench/countproxy.py`; "
  "TLS passes through, so *wire bytes include TLS handshakes and HTTP headers*), with requests and "
  "response-body bytes taken from the servers' own access logs (registry and notary-server both log "
  "`http.response.written`), cross-checked against trustctl's `--debug` lines.")
w("- **Profile**: `perf record -F 4999 -g` over 10 warm and 5 cold `trustctl verify` runs per level, "
  "samples of the trustctl process only.\n")

w("Exact commands (PORT and `$WORK` stand for the run's free ports and temp dir):\n")
w("```")
seen = set()
for suite in (V, VC, I, S, P):
    s = LV[first].get(suite) or {}
    for tool, d in s.items():
        for c in d["command"]:
            c = short(c)
            if c not in seen:
                seen.add(c)
                w(c)
w("```\n")

w("## Results (median wall time, ms)\n")
w("### Look-up of one tag: `trustctl verify` vs `notary lookup` vs `skopeo inspect --raw`\n")
w("| signed tags | trustctl verify | notary lookup | skopeo inspect --raw | trustctl / notary | trustctl / skopeo |")
w("|---:|---:|---:|---:|---:|---:|")
for l in levels:
    w(f"| {tags(l)} | {f(tv[l])} | {f(nv[l])} | {f(sv[l])} | {ratio(tv[l], nv[l])} | {ratio(tv[l], sv[l])} |")
w("\nCold (empty trust dir and cache every run):\n")
w("| signed tags | trustctl verify (cold) | notary lookup (cold) | trustctl / notary |")
w("|---:|---:|---:|---:|")
for l in levels:
    w(f"| {tags(l)} | {f(tvc[l])} | {f(nvc[l])} | {ratio(tvc[l], nvc[l])} |")
w("\nNote what each does: `trustctl verify` checks the TUF chain **and** fetches the manifest by the signed "
  "digest and checks it (3 requests warm); `notary lookup` only reads the trust server (it never touches the "
  "registry, so a pull would still have to fetch the manifest); `skopeo inspect --raw` fetches the manifest "
  "with no verification at all.\n")

w("### Sign one more tag: `trustctl sign` vs `notary addhash` + `notary publish`\n")
w("| signed tags | trustctl sign | notary addhash + publish | trustctl / notary |")
w("|---:|---:|---:|---:|")
for l in levels:
    a, b = med(l, S, TS), med(l, S, NS)
    w(f"| {tags(l)} | {f(a)} | {f(b)} | {ratio(a, b)} |")
w("")
w("### List every signed tag: `trustctl inspect` vs `notary list`\n")
w("| signed tags | trustctl inspect | notary list | trustctl / notary |")
w("|---:|---:|---:|---:|")
for l in levels:
    a, b = med(l, I, TI), med(l, I, NI)
    w(f"| {tags(l)} | {f(a)} | {f(b)} | {ratio(a, b)} |")
w("")
w(f"![median time against signed tags]({os.path.basename(svg_path)})\n" if plot_ok else
  "(gnuplot failed: no plot)\n")
w(f"Plot data: `{os.path.relpath(dat, os.path.dirname(md_path) or '.')}`.\n")

w("### Requests and bytes per command\n")
w("| signed tags | command | requests | TCP connections | bytes down (wire) | bytes up (wire) | response bodies |")
w("|---:|---|---:|---:|---:|---:|---:|")
for l in levels:
    for b in LV[l]["bytes"]:
        w(f"| {tags(l)} | {b['label']} | {b['requests']} | {b['tcp_connections']} | {b['wire_bytes_down']:,} | "
          f"{b['wire_bytes_up']:,} | {b['response_body_bytes']:,} |")
w("")
w("Metadata sizes (the targets file each side must download cold and verify):\n")
w("| signed tags | trustctl targets (bytes / targets) | notary targets.json (bytes / targets) |")
w("|---:|---:|---:|")
for l in levels:
    s = sizes[l]
    w(f"| {tags(l)} | {s.get('trustctl_targets_bytes', 0):,} / {s.get('trustctl_targets_count', '?'):,} | "
      f"{s.get('notary_targets_served_bytes', 0):,} / {s.get('notary_targets_count', '?'):,} |")
w("")
w("One target entry as each side stores it:\n")
w("```\ntrustctl: " + sizes[first].get("trustctl_target_entry_example", "?") +
  "\nnotary:   " + sizes[first].get("notary_target_entry_example", "?") + "\n```\n")

w("### Process start and a one-request floor\n")
w("| command | median ms | CPU (user+sys) ms |")
w("|---|---:|---:|")
for tool, d in ps.items():
    w(f"| `{tool}` | {f(d['median_ms'])} | {f(d['cpu_median_ms'])} |")
w("")
w("CPU (user+sys) medians of the timed commands, to separate computing from waiting:\n")
w("| signed tags | trustctl verify | notary lookup | trustctl verify cold | notary lookup cold | trustctl inspect | notary list |")
w("|---:|---:|---:|---:|---:|---:|---:|")
for l in levels:
    w(f"| {tags(l)} | {f(cpu(l, V, TV))} | {f(cpu(l, V, NV))} | {f(cpu(l, VC, TVC))} | {f(cpu(l, VC, NVC))} | "
      f"{f(cpu(l, I, TI))} | {f(cpu(l, I, NI))} |")
w("")
w("Populating (one-off, not part of the comparison):\n")
w("| step | seconds |\n|---|---:|")
for p in R["populate"]:
    w(f"| {p['what']} | {p['seconds']:.1f} |")
w("")

# ------------------------------------------------------------------ analysis
w("## What dominates trustctl's time\n")
warm_b = B[last].get("trustctl verify warm", {})
cold_b = B[last].get("trustctl verify cold (pinned root)", {})
nwarm_b = B[last].get("notary lookup warm", {})
w(f"- **Process start and the fixed client cost.** `trustctl version` (no network, no trust dir) takes "
  f"{f(t_start)} ms here against {f(n_start)} ms for `notary version`, and one `curl` TLS request "
  f"{f(curl_tls)} ms. A warm `trustctl verify` at 1 tag ({f(tv[first])} ms) is therefore mostly start-up "
  f"plus {warm_b.get('requests', '?')} requests on one TLS connection "
  f"(`GET /v2/`, `HEAD _trustctl`, `GET` manifest by digest); its CPU median is only {f(cpu(first, V, TV))} ms "
  "– the rest of the wall time is waiting on the (loaded) machine and the registry.")
w(f"- **Round trips.** Warm: {warm_b.get('requests', '?')} requests for trustctl vs "
  f"{nwarm_b.get('requests', '?')} for notary (`GET /v2/`, `timestamp.json`) and "
  f"{B[last].get('skopeo inspect --raw', {}).get('requests', '?')} for skopeo; cold: "
  f"{cold_b.get('requests', '?')} (one connection) vs "
  f"{B[last].get('notary lookup cold (TOFU)', {}).get('requests', '?')} for notary "
  f"(on {B[last].get('notary lookup cold (TOFU)', {}).get('tcp_connections', '?')} TLS connections). trustctl's "
  "extra warm request is the manifest fetch that notary does not do at all; its `GET /v2/` ping is the one "
  "request that could be skipped when the trust dir already knows the registry.")
pw = LV[last].get("perf_warm_verify") or {}
pc = LV[last].get("perf_cold_verify") or {}
if pc.get("by_dso"):
    w(f"- **CPU profile at {tags(last)} tags** (`perf`, share of trustctl's own samples):")
    w("\n  cold verify, by library:\n\n  ```\n" + "\n".join("  " + x.strip() for x in pc["by_dso"][:8]) +
      "\n  ```\n  cold verify, top symbols:\n\n  ```\n" +
      "\n".join("  " + trunc(x) for x in pc.get("by_symbol", [])[:12]) + "\n  ```")
    w("\n  warm verify, by library:\n\n  ```\n" + "\n".join("  " + x.strip() for x in pw.get("by_dso", [])[:8]) +
      "\n  ```\n  warm verify, top symbols:\n\n  ```\n" +
      "\n".join("  " + trunc(x) for x in pw.get("by_symbol", [])[:12]) + "\n  ```\n")
trustctl_bin = os.environ.get("TRUSTCTL")
if trustctl_bin and os.path.exists(trustctl_bin):
    ld = subprocess.run([trustctl_bin, "version"], env=dict(os.environ, LD_DEBUG="statistics"),
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    import re as _re
    nrel = _re.search(r"final number of relocations: (\d+)", ld)
    nlib = subprocess.run(["ldd", trustctl_bin], stdout=subprocess.PIPE, text=True).stdout.count("=>")
    w(f"- **Start-up itself** (measured at report time): the binary links {nlib} shared libraries "
      f"(libcurl pulls in GnuTLS, libssh2, LDAP, … besides OpenSSL) and the dynamic loader resolves "
      f"{nrel.group(1) if nrel else '?'} symbol relocations before `main`; a `perf` profile of `trustctl version` "
      "shows `ld.so`'s `do_lookup_x`/`strcmp`, OpenSSL and libstdc++ initialisation and a `std::regex` being compiled. That fixed cost is paid by every command.")
ts = {l: med(l, S, TS) for l in levels}
w(f"- **Signing** is where trustctl is clearly slower: {f(ts[first])} ms against "
  f"{f(med(first, S, NS))} ms for notary at 1 tag. Two fixed costs dominate: the publish protocol's "
  "**1.5 s settle** (`PublishOptions::settle`, `src/truststore/oci_store.cc`: registry:2 has no "
  "compare-and-swap, so trustctl waits past the race window and re-reads to confirm its write survived), and "
  "**scrypt** key decryption (trustctl's keys use N = 2^20 scrypt; the targets, snapshot and timestamp keys are all "
  "unlocked for a publish – notary uses PBKDF2 with 2,048 iterations, and its timestamp is signed by the server). "
  "A sign also makes ~15 requests (HEAD/GET of the tag, blob uploads of each changed metadata file, "
  "the manifest PUT, the confirming re-read) where notary makes one multipart POST.\n")

w("## Does verify's cost grow with the number of tags?\n")
g_w, g_c, g_n, g_nc = per_tag(tv), per_tag(tvc), per_tag(nv), per_tag(nvc)
def growth(d):
    a, b = d[first], d[last]
    if a is None or b is None:
        return "not measured"
    if b > a * 1.2 and b - a > 5:
        return f"grows: {f(a)} → {f(b)} ms ({f(per_tag(d), 2)} µs per extra tag)"
    return f"flat within the noise: {f(a)} → {f(b)} ms"


w(f"- **Warm trustctl verify** {growth(tv)} between 1 and {tags(last)} tags. When nothing changed, trustctl "
  "sends one `HEAD` of the `_trustctl` tag, sees the manifest digest it already trusts and answers from its trust "
  "dir (it still re-reads its cached metadata); the wire bytes stay at "
  f"{B[first].get('trustctl verify warm', {}).get('wire_bytes_down', 0):,} → {warm_b.get('wire_bytes_down', 0):,} B. "
  f"CPU: {f(cpu(first, V, TV))} → {f(cpu(last, V, TV))} ms. notary's warm lookup {growth(nv)}.")
w(f"- **Cold trustctl verify** {growth(tvc)}; CPU {f(cpu(first, VC, TVC))} → {f(cpu(last, VC, TVC))} ms "
  f"(notary cold lookup {growth(nvc)}). Both keep every tag in **one flat targets file**, "
  "so a single look-up must download the whole file "
  f"({sizes[last].get('trustctl_targets_bytes', 0):,} B for trustctl, "
  f"{sizes[last].get('notary_targets_served_bytes', 0):,} B for notary at {tags(last)} tags), hash it against the "
  "snapshot, parse all of it, re-serialise the `signed` part canonically and check one signature over all of it "
  "– work proportional to the number of tags, even to look up one. "
  f"trustctl's file is {sizes[last].get('trustctl_targets_bytes', 0) / max(1, sizes[last].get('notary_targets_served_bytes', 1)):.1f}× "
  "notary's: each entry carries a hex digest and a `custom.mediaType` where notary stores base64 "
  "(see the example entries above), so it pays more bytes and more parsing per tag.")
cw, cc = cpu(last, V, TV), cpu(last, VC, TVC)
if cw > cc * 0.8:
    w(f"- **The warm path is not cheaper than the cold one at {tags(last)} tags**: warm verify spends "
      f"{f(cw)} ms of CPU against {f(cc)} ms cold, although it downloads {warm_b.get('wire_bytes_down', 0):,} B "
      f"instead of {cold_b.get('wire_bytes_down', 0):,} B. Even when the `HEAD` shows nothing changed, trustctl "
      "reloads its cached metadata and re-parses, re-canonicalises and re-verifies the whole targets file "
      "(the profile above: `malloc`, `memmove`, red-black-tree copies of nlohmann::json objects, "
      "`canonical_json` encode/parse). So warm verify grows with the tag count exactly like a cold one.")
w("- The same growth hits **every publish** (`trustctl sign` re-signs and re-uploads the whole targets file, "
  "as does `notary publish`) and any verify right after someone else signed a tag (the warm cache "
  "is then stale and the new targets file is downloaded in full).\n")

w("## Where trustctl is slower, and what it should fix\n")
slower = []
for l in levels:
    for (a, b, name) in ((tv[l], nv[l], "warm verify vs notary lookup"), (tvc[l], nvc[l], "cold verify vs notary lookup"),
                         (med(l, I, TI), med(l, I, NI), "inspect vs notary list"),
                         (med(l, S, TS), med(l, S, NS), "sign vs notary addhash+publish")):
        if a and b and a > b:
            slower.append(f"{name} at {tags(l)} tags ({a / b:.2f}×)")
w("Slower than notary in this run: " + ("; ".join(slower) if slower else "nowhere") + ".\n")
w("1. **Sign latency**: the fixed 1.5 s settle is the largest single cost of `trustctl sign`. Options: make it "
  "configurable (`--settle`, or an environment variable for CI that owns the repository alone), shorten it when "
  "the registry answers quickly, or confirm by re-reading sooner and again later.")
w("2. **scrypt N = 2^20 for every key on every sign** costs CPU seconds; keep it for the root key but consider "
  "cheaper parameters (or a cached unlock) for the online targets/snapshot/timestamp keys.")
w("3. **Flat targets file**: cold look-ups, the first look-up after any change, and every publish scale with "
  "the number of tags. Hashed bin delegations (TUF's `succinct_roles`/path-hash prefixes) would bound the "
  "download and signature work per look-up; a smaller per-target entry (drop what is not needed for "
  "verification) would cut the per-tag bytes now.")
w("4. **Warm verify re-does all the work**: cache the outcome of verifying a given `_trustctl` manifest digest "
  "(or index the verified targets once, e.g. a per-tag file written after verification) so an unchanged "
  "repository costs one `HEAD` and a lookup instead of a parse + canonicalise + signature check of every "
  "tag; and avoid deep copies of the parsed JSON tree (the `_Rb_tree::_M_copy`/`malloc` time in the profile).")
w("5. **Round trips**: the `GET /v2/` ping on every command is avoidable once the trust dir has talked to the "
  "registry; bulk `sign` of many tags spends a `HEAD` and a `GET` per tag (see the populate table).")
w("")
transfer_section(w)
w("Raw data: `bench/results/results.json` (every run, the commands, request lists, perf tables).\n")
webhook_section(w)

with open(md_path, "w") as fh:
    fh.write("\n".join(out) + "\n")
print(f"report: wrote {md_path}" + (f" and {svg_path}" if plot_ok else ""), file=sys.stderr)
