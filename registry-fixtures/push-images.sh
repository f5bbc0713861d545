#!/usr/bin/env bash
# push-images.sh REGISTRY_URL REPO [skopeo copy flags...]
#
# Builds the fixture layout (make-images.sh) and pushes it with skopeo to REPO:
#   v1            OCI image manifest (linux/amd64)
#   v1-docker     the same image as Docker schema2 (--format v2s2)
#   multi         OCI image index, amd64 + arm64/v8 (--all)
#   multi-docker  the same as a Docker manifest list (--all --format v2s2)
#   $APP_TAGS     the lab's sample app (layout tag secure-app) as an OCI manifest under each
#                 tag in APP_TAGS (space-separated; default "app signed"; empty: none)
# Prints "TAG DIGEST MEDIATYPE" for each tag pushed.
#
# REGISTRY_URL is http://HOST:PORT or https://HOST:PORT. Extra flags go to every skopeo copy,
# e.g. --dest-creds U:P, --dest-cert-dir DIR, --dest-authfile FILE. When none of those is given,
# the variables written to DIR/env by trustctl-testenv are used: REGISTRY_USER/REGISTRY_PASSWORD
# (-> --dest-creds) and REGISTRY_CERTDIR (-> --dest-cert-dir). Plain http adds
# --dest-tls-verify=false. LAYOUT=DIR reuses an existing layout instead of building one.
set -euo pipefail

usage() { echo "usage: $0 REGISTRY_URL REPO [skopeo copy flags...]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url=$1 repo=$2
shift 2
extra=("$@")

command -v skopeo >/dev/null || {
  echo "push-images.sh: skopeo not found (apt-get install skopeo)" >&2
  exit 1
}

case $url in
  http://*) host=${url#http://} ;;
  https://*) host=${url#https://} ;;
  *) echo "push-images.sh: REGISTRY_URL must start with http:// or https://" >&2; exit 2 ;;
esac
host=${host%%/*}

has_flag() {
  local f
  for f in "${extra[@]}"; do
    [[ $f == "$1" || $f == "$1="* ]] && return 0
  done
  return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/trustctl-push-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

dest=()
if [[ $url == http://* ]] && ! has_flag --dest-tls-verify; then
  dest+=(--dest-tls-verify=false)
fi
if ! has_flag --dest-creds && ! has_flag --dest-authfile; then
  if [[ -n ${REGISTRY_USER:-} ]]; then
    dest+=(--dest-creds "$REGISTRY_USER:${REGISTRY_PASSWORD:-}")
  else
    # Never pick up the caller's ~/.docker/config.json or containers auth.json.
    printf '{"auths":{}}' >"$work/auth.json"
    dest+=(--dest-authfile "$work/auth.json")
  fi
fi
if [[ $url == https://* && -n ${REGISTRY_CERTDIR:-} ]] && ! has_flag --dest-cert-dir &&
  ! has_flag --dest-tls-verify; then
  dest+=(--dest-cert-dir "$REGISTRY_CERTDIR")
fi

layout=${LAYOUT:-}
if [[ -z $layout ]]; then
  layout=$work/layout
  "$here/make-images.sh" "$layout" >/dev/null
fi

# copy SRC_TAG DST_TAG MEDIATYPE [skopeo flags...]
copy() {
  local src=$1 dst=$2 media_type=$3
  shift 3
  if ! skopeo --insecure-policy copy --quiet --digestfile "$work/digest" "$@" \
    ${dest[@]+"${dest[@]}"} ${extra[@]+"${extra[@]}"} \
    "oci:$layout:$src" "docker://$host/$repo:$dst" >"$work/skopeo.log" 2>&1; then
    echo "push-images.sh: pushing $repo:$dst failed:" >&2
    cat "$work/skopeo.log" >&2
    exit 1
  fi
  printf '%s %s %s\n' "$dst" "$(cat "$work/digest")" "$media_type"
}

copy v1 v1 application/vnd.oci.image.manifest.v1+json
copy v1 v1-docker application/vnd.docker.distribution.manifest.v2+json --format v2s2
copy multi multi application/vnd.oci.image.index.v1+json --all
copy multi multi-docker application/vnd.docker.distribution.manifest.list.v2+json \
  --all --format v2s2
for tag in ${APP_TAGS-app signed}; do
  copy secure-app "$tag" application/vnd.oci.image.manifest.v1+json
done
