#!/usr/bin/env python3
"""make-image.py DIR [--layers N] [--layer-mib M] [--seed S] [--tag T] -- writes a test image as
an OCI image layout (stdlib only), for the push/pull part of bench/run.sh.

Each layer is a gzip'd tar holding one file of M MiB of pseudo-random bytes (Python's Mersenne
Twister seeded from S and the layer number), so the layers are incompressible like real
binaries-and-archives layers, and the same arguments always give the same digests. tar headers
carry fixed names, owners and mtimes; gzip's header mtime is 0. Prints a JSON summary on stdout."""
import argparse, gzip, hashlib, io, json, os, random, sys, tarfile, time

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--layers", type=int, default=6)
ap.add_argument("--layer-mib", type=int, default=48)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--tag", default="bench")
a = ap.parse_args()

blobs = os.path.join(a.dir, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
t0 = time.monotonic()


class HashingFile(io.RawIOBase):
    """Write-only file that hashes what passes through it into `out`."""

    def __init__(self, out):
        self.out, self.h, self.n = out, hashlib.sha256(), 0

    def writable(self):
        return True

    def tell(self):
        return self.n

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        self.out.write(b)
        return len(b)


def put(data):
    hexd = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, hexd), "wb") as f:
        f.write(data)
    return f"sha256:{hexd}", len(data)


layers, diff_ids = [], []
for i in range(a.layers):
    rnd = random.Random(a.seed * 1000003 + i)
    payload = rnd.randbytes(a.layer_mib << 20)
    tmp = os.path.join(a.dir, f".layer-{i}.tmp")
    with open(tmp, "wb") as raw:
        gz_out = HashingFile(raw)
        with gzip.GzipFile(fileobj=gz_out, mode="wb", compresslevel=1, mtime=0) as gz:
            tar_out = HashingFile(gz)
            with tarfile.open(fileobj=tar_out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                d = tarfile.TarInfo(f"opt/bench/layer{i}")
                d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1700000000
                tar.addfile(d)
                ti = tarfile.TarInfo(f"opt/bench/layer{i}/data.bin")
                ti.size, ti.mode, ti.mtime = len(payload), 0o644, 1700000000
                tar.addfile(ti, io.BytesIO(payload))
    digest = gz_out.h.hexdigest()
    os.rename(tmp, os.path.join(blobs, digest))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                   "digest": f"sha256:{digest}", "size": gz_out.n})
    diff_ids.append(f"sha256:{tar_out.h.hexdigest()}")

config = {"architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
          "config": {"Cmd": ["/bin/true"]},
          "rootfs": {"type": "layers", "diff_ids": diff_ids},
          "history": [{"created": "2023-11-14T22:13:20Z", "created_by": f"bench layer {i}"}
                      for i in range(a.layers)]}
cdig, csize = put(json.dumps(config, separators=(",", ":")).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdig, "size": csize},
            "layers": layers}
mbytes = json.dumps(manifest, separators=(",", ":")).encode()
mdig, msize = put(mbytes)
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdig,
                        "size": msize, "annotations": {"org.opencontainers.image.ref.name": a.tag}}]}
with open(os.path.join(a.dir, "index.json"), "w") as f:
    json.dump(index, f, separators=(",", ":"))
with open(os.path.join(a.dir, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')

blob_bytes = sum(l["size"] for l in layers) + csize
print(json.dumps({"dir": a.dir, "tag": a.tag, "manifest_digest": mdig, "manifest_bytes": msize,
                  "layers": len(layers), "layer_mib": a.layer_mib, "seed": a.seed,
                  "layer_bytes": [l["size"] for l in layers], "config_bytes": csize,
                  "blob_bytes": blob_bytes, "seconds": round(time.monotonic() - t0, 2)}))
