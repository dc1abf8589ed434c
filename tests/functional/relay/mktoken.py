#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mktoken: a compact JWS for the relay tests, signed with the openssl
command (RS256) or hmac (HS256), so the tokens do not come from the code
under test.

  mktoken.py --alg RS256 --key k1.pem --kid kid-1 CLAIMS_JSON
  mktoken.py --alg HS256 --secret S CLAIMS_JSON
  mktoken.py --alg none CLAIMS_JSON
  options: --header JSON (replaces the header), --exp-in SECONDS (adds
  "exp": now + SECONDS; negative for an expired token), --bad-sig
"""
import argparse
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--alg", default="RS256")
    p.add_argument("--key")
    p.add_argument("--secret")
    p.add_argument("--kid")
    p.add_argument("--header")
    p.add_argument("--exp-in", type=int)
    p.add_argument("--bad-sig", action="store_true")
    p.add_argument("claims")
    a = p.parse_args()

    claims = json.loads(a.claims)
    if a.exp_in is not None:
        claims["exp"] = int(time.time()) + a.exp_in
    if a.header:
        header = json.loads(a.header)
    else:
        header = {"alg": a.alg, "typ": "JWT"}
        if a.kid:
            header["kid"] = a.kid
    signing = (b64(json.dumps(header, separators=(",", ":")).encode()) + "." +
               b64(json.dumps(claims, separators=(",", ":")).encode()))
    if a.alg == "RS256":
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", a.key], input=signing.encode(),
                             capture_output=True, check=True).stdout
    elif a.alg == "HS256":
        sig = hmac.new(a.secret.encode(), signing.encode(), hashlib.sha256).digest()
    else:
        sig = b""
    if a.bad_sig and sig:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    print(signing + "." + b64(sig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
