#!/usr/bin/env bash
# Makes the webhook's TLS material with openssl: a CA and a server certificate it issues for the
# Service's DNS names. Writes OUT_DIR/tls.crt, tls.key (the server's) and ca.crt, and prints the
# base64 CA bundle for the webhook configurations' caBundle on stdout (messages go to stderr):
#
#   CA_BUNDLE=$(deploy/kubernetes/make-certs.sh ./webhook-tls)
#
# The CA's private key is made in a temporary folder and deleted: it signs this one certificate
# and nothing else can ever be issued under it. To renew, run the script again into a new folder
# and replace both the secret and the caBundle (README.md).
#
# Environment: SERVICE (trustctl-webhook), NAMESPACE (trustctl-system), DAYS (365).
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out=$1
service=${SERVICE:-trustctl-webhook}
namespace=${NAMESPACE:-trustctl-system}
days=${DAYS:-365}
dns="$service.$namespace.svc"

mkdir -p "$out"
for f in tls.crt tls.key ca.crt; do
  if [[ -e "$out/$f" ]]; then
    echo "$0: $out/$f exists; give an empty or new folder" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

# The CA: ECDSA P-256, may sign end-entity certificates only (pathlen 0).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>/dev/null
openssl req -x509 -new -key "$work/ca.key" -sha256 -days "$days" \
  -subj "/CN=$service webhook CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$work/ca.crt" 2>/dev/null

# The server certificate, for the names the API server dials.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/tls.key" 2>/dev/null
openssl req -new -key "$work/tls.key" -sha256 -subj "/CN=$dns" -out "$work/tls.csr" 2>/dev/null
cat > "$work/server.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$dns, DNS:$dns.cluster.local
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -sha256 -days "$days" \
  -extfile "$work/server.ext" -out "$work/tls.crt" 2>/dev/null

openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null

install -m 0644 "$work/ca.crt" "$out/ca.crt"
install -m 0644 "$work/tls.crt" "$out/tls.crt"
install -m 0600 "$work/tls.key" "$out/tls.key"
echo "make-certs: wrote $out/tls.crt, $out/tls.key and $out/ca.crt for $dns (valid $days days)" >&2
base64 -w0 "$out/ca.crt"
echo
