#!/usr/bin/env bash
# notary-stack.sh start DIR | stop DIR
# Debian's notary-server + notary-signer, in-memory storage, TLS with a CA made here with
# openssl, on free loopback ports. start prints nothing but writes DIR/env (NOTARY_URL,
# NOTARY_CA, NOTARY_SERVER_LOG) and DIR/pids ("name pid" lines); stop ends those PIDs only.
set -euo pipefail
cmd=${1:?usage: notary-stack.sh start|stop DIR} dir=${2:?usage: notary-stack.sh start|stop DIR}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

stop() {
  [[ -f $dir/pids ]] || return 0
  local name pid i
  tac "$dir/pids" | while read -r name pid; do
    # only a PID that still runs the program we started (and is not a zombie)
    if [[ -r /proc/$pid/comm && $(cat /proc/$pid/comm) == "$name"* ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 50); do
        [[ -r /proc/$pid/stat ]] || break
        [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && break
        sleep 0.1
      done
      [[ -r /proc/$pid/stat && $(awk '{print $3}' "/proc/$pid/stat") != Z ]] && kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  mv "$dir/pids" "$dir/pids.stopped"
}

start() {
  mkdir -p "$dir"
  local tls=$dir/tls
  mkdir -p "$tls"
  openssl ecparam -name prime256v1 -genkey -noout -out "$tls/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$tls/ca.key" -subj /CN=trustctl-bench-ca -days 7 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$tls/ca.crt" 2>/dev/null
  local n
  for n in notary-server notary-signer; do
    openssl ecparam -name prime256v1 -genkey -noout -out "$tls/$n.key.ec" 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in "$tls/$n.key.ec" -out "$tls/$n.key"
    openssl req -new -key "$tls/$n.key" -subj "/CN=$n" -out "$tls/$n.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "$n" >"$tls/$n.ext"
    openssl x509 -req -in "$tls/$n.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 7 -sha256 -extfile "$tls/$n.ext" -out "$tls/$n.crt" 2>/dev/null
  done
  local sport gport
  sport=$(free_port) gport=$(free_port)
  while [[ $gport == "$sport" ]]; do gport=$(free_port); done
  cat >"$dir/signer.json" <<JSON
{"server":{"grpc_addr":"127.0.0.1:$gport","tls_cert_file":"$tls/notary-signer.crt",
  "tls_key_file":"$tls/notary-signer.key","client_ca_file":"$tls/ca.crt"},
 "logging":{"level":"info"},"storage":{"backend":"memory"}}
JSON
  cat >"$dir/server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$sport","tls_cert_file":"$tls/notary-server.crt",
  "tls_key_file":"$tls/notary-server.key"},
 "trust_service":{"type":"remote","hostname":"127.0.0.1","port":"$gport","key_algorithm":"ecdsa",
  "tls_ca_file":"$tls/ca.crt","tls_client_cert":"$tls/notary-server.crt",
  "tls_client_key":"$tls/notary-server.key"},
 "logging":{"level":"info"},"storage":{"backend":"memory"}}
JSON
  : >"$dir/pids"
  setsid notary-signer -config "$dir/signer.json" </dev/null >"$dir/signer.log" 2>&1 &
  echo "notary-signer $!" >>"$dir/pids"
  local i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$gport") 2>/dev/null && break
    sleep 0.05
  done
  setsid notary-server -config "$dir/server.json" </dev/null >"$dir/server.log" 2>&1 &
  echo "notary-server $!" >>"$dir/pids"
  local url=https://127.0.0.1:$sport
  # readiness = the server->signer path works (health alone stays 200 without a signer)
  for i in $(seq 200); do
    if curl -sf --cacert "$tls/ca.crt" -o /dev/null "$url/v2/bench/readiness/_trust/tuf/timestamp.key"; then
      printf 'NOTARY_URL=%q\nNOTARY_CA=%q\nNOTARY_SERVER_LOG=%q\n' "$url" "$tls/ca.crt" "$dir/server.log" >"$dir/env"
      return 0
    fi
    sleep 0.05
  done
  echo "notary-stack.sh: notary-server did not become ready; see $dir/*.log" >&2
  stop
  return 1
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: notary-stack.sh start|stop DIR" >&2; exit 2 ;;
esac
