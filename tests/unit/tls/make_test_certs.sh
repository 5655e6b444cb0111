#!/bin/sh
# Test PKI for the TLS tests, written into directory $1:
#   ca.pem/ca.key          ECDSA P-256 CA
#   ec.pem/ec.key          ECDSA P-256 leaf  O=ecdsa  example.com, *.example.com
#   rsa.pem/rsa.key        RSA-2048 leaf     O=rsa    example.com, *.example.com
#   other.pem/other.key    ECDSA leaf        O=other  other.test
#   other2.pem/other2.key  ECDSA leaf        O=other2 other.test (a replacement)
#   client.pem/client.key  client certificate CN=client one
#   expired.pem/.key       expired in 2020
#   combined.pem           ec.pem and ec.key in one file
#   ticket1.key ticket2.key  80-byte session ticket keys
#   ocsp.der               OCSP response for ec.pem signed by the CA
# Leaves are valid for a year and signed by the CA.
set -eu
cd "$1"
q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; }

q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -subj "/O=gantry tests/CN=gantry test CA" -days 365 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign

leaf() {  # name subject sans ec|rsa
  if [ "$4" = ec ]; then
    q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
  else
    q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
  fi
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
    -extfile "$1.ext" -out "$1.pem"
}
leaf ec "/O=ecdsa/CN=example.com" "DNS:example.com,DNS:*.example.com" ec
leaf rsa "/O=rsa/CN=example.com" "DNS:example.com,DNS:*.example.com" rsa
leaf other "/O=other/CN=other.test" "DNS:other.test" ec
leaf other2 "/O=other2/CN=other.test" "DNS:other.test" ec
leaf client "/O=clients/CN=client one" "DNS:client.test" ec
cat ec.pem ec.key > combined.pem

# `openssl x509` cannot back-date; `openssl ca` can.
mkdir -p ca.db
: > ca.db/index.txt
echo 1000 > ca.db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = ./ca.db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
CNF
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout expired.key -out expired.csr \
  -subj "/CN=expired.test" -addext subjectAltName=DNS:expired.test
q openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -notext \
  -startdate 20200101000000Z -enddate 20200201000000Z

q openssl rand -out ticket1.key 80
q openssl rand -out ticket2.key 80
q openssl ocsp -issuer ca.pem -cert ec.pem -index ca.db/index.txt -rsigner ca.pem -rkey ca.key \
  -CA ca.pem -respout ocsp.der -ndays 7
exit 0
