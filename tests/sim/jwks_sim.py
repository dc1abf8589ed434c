#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""jwks_sim: a JWKS host (relays.md §4.2) for the JWT tests.

SecureX serves the keys that sign the relays' tokens at
https://<jwks_host>/.well-known/jwks as {"keys": [{"kty": "RSA", "n", "e",
"alg": "RS256", "kid", "use": "sig"}, ...]}.  One simulator stands in for
any number of JWKS hosts: the test points secresp's URL template at
https://127.0.0.1:PORT/{host}/.well-known/jwks, so each host has its own
path, key set and request count.

Keys are RSA key pairs the test makes (openssl genpkey); the simulator
reads their public part with the openssl command and builds the JWK (n, e
in base64url) itself, so the JWKs do not come from the code under test.

Options:
  --key NAME=PEM          an RSA key (private or public PEM), repeatable
  --host-keys HOST=NAME:KID[,NAME:KID...]
                          the JWKS of HOST at start, repeatable

Routes:
  GET /<host>/.well-known/jwks   the JWKS of <host>; 404 for a host not set
  GET /.well-known/jwks          same, the host taken from the Host header
  PUT /_jwks/hosts/<host>        replace <host>'s JWKS; body: a list of
                                 entries, or {"raw": ANY} served verbatim.
                                 Entry: {"key": NAME, "kid": KID} (+ "alg",
                                 "use": a string, or null to leave it out),
                                 or {"jwk": {...}} copied as is
  DELETE /_jwks/hosts/<host>     <host> no longer served (404)
  GET /_jwks/keys/<name>         the JWK of a named key (no kid)

State ({"hosts": {HOST: {"keys": [entries]} | {"raw": ANY}}}) is reset by
POST /__sim/reset like any simkit simulator.  The test counts fetches with
GET /__sim/requests?path=/<host>/.well-known/jwks.
"""
import base64
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim, json_response  # noqa: E402

sim = Sim("jwks", "JWKS host simulator")
sim.parser.add_argument("--key", action="append", default=[], metavar="NAME=PEM",
                        help="an RSA key pair or public key (PEM), repeatable")
sim.parser.add_argument("--host-keys", action="append", default=[], metavar="HOST=NAME:KID[,...]",
                        help="initial JWKS of a host, repeatable")
sim.state["hosts"] = {}

KEYS = {}       # name -> {"kty", "n", "e"}
HOST_RE = r"[A-Za-z0-9._-]+"


def b64url_uint(hexstr):
    raw = bytes.fromhex(hexstr if len(hexstr) % 2 == 0 else "0" + hexstr)
    raw = raw.lstrip(b"\0") or b"\0"
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_jwk(path):
    """The public JWK of an RSA PEM file, through the openssl command."""
    with open(path, "rb") as fp:
        public = b"PUBLIC KEY" in fp.read()
    base = ["openssl", "rsa", "-in", path, "-noout"] + (["-pubin"] if public else [])
    mod = subprocess.run(base + ["-modulus"], check=True, capture_output=True, text=True).stdout
    m = re.search(r"Modulus=([0-9A-Fa-f]+)", mod)
    text = subprocess.run(base + ["-text"], check=True, capture_output=True, text=True).stdout
    e = re.search(r"(?:publicExponent|Exponent): (\d+)", text)
    if not m or not e:
        raise SystemExit("jwks_sim: cannot read the RSA key in %s" % path)
    return {"kty": "RSA", "n": b64url_uint(m.group(1)), "e": b64url_uint("%x" % int(e.group(1)))}


def entry_jwk(entry):
    if not isinstance(entry, dict):
        raise HTTPError(400, "an entry is an object")
    if "jwk" in entry:
        return entry["jwk"]
    name = entry.get("key")
    if name not in KEYS:
        raise HTTPError(400, "no key named %r" % name)
    jwk = dict(KEYS[name])
    for field, default in (("alg", "RS256"), ("kid", None), ("use", "sig")):
        value = entry.get(field, default)
        if value is not None:
            jwk[field] = value
    return jwk


def document(host):
    with sim.lock:
        spec = sim.state["hosts"].get(host.lower())
    if spec is None:
        raise HTTPError(404, "no JWKS for host %s" % host)
    if "raw" in spec:
        return json_response(spec["raw"])
    return json_response({"keys": [entry_jwk(e) for e in spec.get("keys", [])]})


@sim.route("GET", r"/(?P<host>%s)/\.well-known/jwks" % HOST_RE)
def jwks_by_path(req):
    return document(req.params["host"])


@sim.route("GET", r"/\.well-known/jwks")
def jwks_by_host_header(req):
    return document(req.headers.get("Host", "").rsplit(":", 1)[0])


@sim.route("PUT", r"/_jwks/hosts/(?P<host>%s)" % HOST_RE)
def put_host(req):
    body = req.json()
    if isinstance(body, list):
        for e in body:
            entry_jwk(e)      # refuse unknown key names now
        spec = {"keys": body}
    elif isinstance(body, dict) and "raw" in body:
        spec = {"raw": body["raw"]}
    else:
        raise HTTPError(400, "a list of entries or {\"raw\": ...}")
    with req.lock:
        req.state["hosts"][req.params["host"].lower()] = spec
    return {"ok": True}


@sim.route("DELETE", r"/_jwks/hosts/(?P<host>%s)" % HOST_RE)
def delete_host(req):
    with req.lock:
        req.state["hosts"].pop(req.params["host"].lower(), None)
    return {"ok": True}


@sim.route("GET", r"/_jwks/keys/(?P<name>[^/]+)")
def get_key(req):
    if req.params["name"] not in KEYS:
        raise HTTPError(404, "no such key")
    return KEYS[req.params["name"]]


def setup(argv):
    """Reads the keys and initial hosts before simkit snapshots the state."""
    args, _ = sim.parser.parse_known_args(argv)
    for spec in args.key:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            sim.parser.error("--key NAME=PEM")
        KEYS[name] = rsa_jwk(path)
    for spec in args.host_keys:
        host, sep, rest = spec.partition("=")
        if not sep or not host:
            sim.parser.error("--host-keys HOST=NAME:KID[,NAME:KID...]")
        entries = []
        for item in filter(None, rest.split(",")):
            name, _, kid = item.partition(":")
            if name not in KEYS:
                sim.parser.error("--host-keys: no key named %r" % name)
            entries.append({"key": name, "kid": kid or name})
        sim.state["hosts"][host.lower()] = {"keys": entries}


if __name__ == "__main__":
    setup(sys.argv[1:])
    sys.exit(sim.main())
