#!/bin/sh
# SPDX-License-Identifier: MIT
# mkca.sh DIR: a throw-away PKI for the simulators, made at test time.
#   DIR/ca.pem DIR/ca.key          test CA
#   DIR/server.pem DIR/server.key  server cert for 127.0.0.1, ::1, localhost, signed by the CA
#   DIR/wrong-ca.pem               an unrelated CA that must NOT verify server.pem
# Needs only the openssl CLI. EC P-256 keys: fast to generate.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

newca() { # name cn
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

newca ca "secresp test CA"
newca wrong-ca "secresp unrelated CA"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
cat > server.ext <<EOT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EOT
serial=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$serial" \
        -days 2 -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext wrong-ca.key
chmod 644 ca.pem wrong-ca.pem server.pem
# Sanity: the chain verifies with the test CA and not with the wrong one.
openssl verify -CAfile ca.pem server.pem >/dev/null
if openssl verify -CAfile wrong-ca.pem server.pem >/dev/null 2>&1; then
        echo "mkca.sh: wrong-ca.pem verifies server.pem" >&2
        exit 1
fi
