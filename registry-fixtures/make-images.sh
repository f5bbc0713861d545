#!/usr/bin/env bash
# make-images.sh OUT_LAYOUT
#
# Writes a deterministic OCI image layout (https://github.com/opencontainers/image-spec) to
# OUT_LAYOUT using only tar, gzip and sha256sum. The bytes are identical on every run, so the
# digests are fixed (see README.md). Tags in the layout:
#   v1          OCI image manifest, linux/amd64
#   multi       OCI image index: linux/amd64 (the v1 manifest) + linux/arm64/v8
#   secure-app  the lab's sample app (secure-app/ beside this script), linux/amd64
# Prints "TAG DIGEST MEDIATYPE" for each tag.
set -euo pipefail

usage() { echo "usage: $0 OUT_LAYOUT" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1

for tool in tar gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "make-images.sh: $tool not found" >&2; exit 1; }
done

# Refuse to write into a folder that holds something other than a layout.
if [[ -e $out ]]; then
  [[ -d $out ]] || { echo "make-images.sh: $out is not a folder" >&2; exit 1; }
  if [[ -e $out/oci-layout ]]; then
    rm -rf "${out:?}/blobs" "$out/index.json" "$out/oci-layout"
  elif [[ -n $(ls -A "$out") ]]; then
    echo "make-images.sh: $out is neither empty nor an OCI layout" >&2
    exit 1
  fi
fi
mkdir -p "$out/blobs/sha256"

work=$(mktemp -d "${TMPDIR:-/tmp}/trustctl-make-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

readonly EPOCH=1704067200 # 2024-01-01T00:00:00Z
readonly CREATED=2024-01-01T00:00:00Z
readonly MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
readonly MT_INDEX=application/vnd.oci.image.index.v1+json
readonly MT_CONFIG=application/vnd.oci.image.config.v1+json
readonly MT_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

# add_blob FILE: stores FILE in the layout; sets DIGEST and SIZE.
add_blob() {
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$out/blobs/sha256/$hex"
  DIGEST="sha256:$hex"
  SIZE=$(stat -c %s "$1")
}

# add_json TEXT: stores TEXT (no trailing newline) as a blob; sets DIGEST and SIZE.
add_json() {
  printf '%s' "$1" >"$work/blob.json"
  add_blob "$work/blob.json"
}

# add_layer ROOT: tars every entry of ROOT into a gzip layer; sets DIGEST, SIZE and DIFF_ID.
add_layer() {
  local root=$1
  # Fixed permissions: the checkout's modes and the umask must not leak into the digests.
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -type f -exec chmod 0644 {} +
  (cd "$root" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort) >"$work/entries"
  tar -C "$root" --sort=name --mtime=@$EPOCH --owner=0 --group=0 --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$work/layer.tar" -T "$work/entries"
  DIFF_ID="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
  add_blob "$work/layer.tar.gz"
}

# image ARCH VARIANT ROOT CONFIG_FIELDS: adds layer, config and manifest; sets MANIFEST_DIGEST
# and MANIFEST_SIZE. CONFIG_FIELDS is the JSON inside the config's "config" object.
image() {
  local arch=$1 variant=$2 root=$3 fields=$4 variant_json=""
  [[ -z $variant ]] || variant_json=",\"variant\":\"$variant\""
  add_layer "$root"
  local layer_digest=$DIGEST layer_size=$SIZE
  add_json "{\"created\":\"$CREATED\",\"architecture\":\"$arch\"$variant_json,\"os\":\"linux\",\"config\":{$fields},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"$DIFF_ID\"]},\"history\":[{\"created\":\"$CREATED\",\"created_by\":\"registry-fixtures/make-images.sh\"}]}"
  local config_digest=$DIGEST config_size=$SIZE
  add_json "{\"schemaVersion\":2,\"mediaType\":\"$MT_MANIFEST\",\"config\":{\"mediaType\":\"$MT_CONFIG\",\"digest\":\"$config_digest\",\"size\":$config_size},\"layers\":[{\"mediaType\":\"$MT_LAYER\",\"digest\":\"$layer_digest\",\"size\":$layer_size}]}"
  MANIFEST_DIGEST=$DIGEST
  MANIFEST_SIZE=$SIZE
}

readonly PATH_ENV='"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'

# v1: linux/amd64
mkdir -p "$work/amd64/fixture"
printf 'trustctl test fixture v1\n' >"$work/amd64/fixture/hello.txt"
printf 'linux/amd64\n' >"$work/amd64/fixture/platform"
image amd64 "" "$work/amd64" "$PATH_ENV,\"Cmd\":[\"/bin/sh\"],\"WorkingDir\":\"/fixture\""
v1_digest=$MANIFEST_DIGEST v1_size=$MANIFEST_SIZE

# multi: the v1 manifest plus a linux/arm64/v8 image
mkdir -p "$work/arm64/fixture"
printf 'trustctl test fixture v1\n' >"$work/arm64/fixture/hello.txt"
printf 'linux/arm64/v8\n' >"$work/arm64/fixture/platform"
image arm64 v8 "$work/arm64" "$PATH_ENV,\"Cmd\":[\"/bin/sh\"],\"WorkingDir\":\"/fixture\""
arm_digest=$MANIFEST_DIGEST arm_size=$MANIFEST_SIZE
add_json "{\"schemaVersion\":2,\"mediaType\":\"$MT_INDEX\",\"manifests\":[{\"mediaType\":\"$MT_MANIFEST\",\"digest\":\"$v1_digest\",\"size\":$v1_size,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},{\"mediaType\":\"$MT_MANIFEST\",\"digest\":\"$arm_digest\",\"size\":$arm_size,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}]}"
multi_digest=$DIGEST multi_size=$SIZE

# secure-app: /app/app.py, /app/requirements.txt, /app/Dockerfile
mkdir -p "$work/app/app"
for f in app.py requirements.txt Dockerfile; do
  cp "$here/secure-app/$f" "$work/app/app/$f"
done
image amd64 "" "$work/app" "\"User\":\"appuser\",\"ExposedPorts\":{\"8080/tcp\":{}},$PATH_ENV,\"Cmd\":[\"python\",\"app.py\"],\"WorkingDir\":\"/app\""
app_digest=$MANIFEST_DIGEST app_size=$MANIFEST_SIZE

ref() { printf '"annotations":{"org.opencontainers.image.ref.name":"%s"}' "$1"; }
printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s,%s]}' "$MT_INDEX" \
  "{\"mediaType\":\"$MT_MANIFEST\",\"digest\":\"$v1_digest\",\"size\":$v1_size,$(ref v1)}" \
  "{\"mediaType\":\"$MT_INDEX\",\"digest\":\"$multi_digest\",\"size\":$multi_size,$(ref multi)}" \
  "{\"mediaType\":\"$MT_MANIFEST\",\"digest\":\"$app_digest\",\"size\":$app_size,$(ref secure-app)}" \
  >"$out/index.json"

printf '%s %s %s\n' v1 "$v1_digest" "$MT_MANIFEST" multi "$multi_digest" "$MT_INDEX" \
  secure-app "$app_digest" "$MT_MANIFEST"
