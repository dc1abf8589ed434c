#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""azuread_sim: the Microsoft identity platform token endpoint (v2.0), for
the Microsoft Graph relay (relays.md §7.2).

  POST /<tenant>/oauth2/v2.0/token
       application/x-www-form-urlencoded: client_id, client_secret,
       grant_type=client_credentials, scope=<graph>/.default
       -> 200 {"token_type": "Bearer", "expires_in": N, "ext_expires_in": N,
               "access_token": "..."}

Errors as Azure AD sends them, {"error", "error_description" ("AADSTSnnnn: ..."),
"error_codes", "timestamp", "trace_id", "correlation_id"}:
  GET                            400 invalid_request AADSTS900561 (POST only)
  body not a form                400 invalid_request AADSTS900144 (no grant_type)
  tenant not a GUID or domain    400 invalid_request AADSTS900023
  tenant unknown                 400 invalid_request AADSTS90002 (--unknown-tenant-status
                                 404 for the answer upstream's code expects)
  grant_type not client_credentials   400 unsupported_grant_type AADSTS70003
  client_id unknown in the tenant     400 unauthorized_client AADSTS700016
  client_secret wrong            401 invalid_client AADSTS7000215
  scope not --scope              400 invalid_scope AADSTS70011

Applications: --app TENANT=CLIENT_ID:SECRET[:TTL] (repeatable; TTL
overrides --token-ttl for that application).  Access tokens
are "sim.<payload>.<mac>": payload the base64url JSON {"tid", "appid",
"iat", "exp", "n"} and mac an HMAC-SHA256 with --token-key, so that
msgraph_sim.py (given the same key) checks them without talking to this
simulator.  --token-ttl sets expires_in.

State: {"issued": [{"tid", "appid", "iat", "exp"}], "refused": N}; the
tokens themselves are not kept.  GET /_azuread/tokens returns it; faults
and the request log are simkit's (the log holds the request bodies, secrets
included: test secrets only).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim  # noqa: E402

sim = Sim("azuread", "Azure AD (Microsoft identity platform) token endpoint simulator")
sim.parser.add_argument("--app", action="append", default=[], metavar="TENANT=CLIENT_ID:SECRET[:TTL]",
                        help="an application registration (TTL: its tokens' expires_in), repeatable")
sim.parser.add_argument("--token-key", default="graph-sim-key", help="HMAC key shared with msgraph_sim.py")
sim.parser.add_argument("--token-ttl", type=int, default=3599, help="expires_in of the tokens (seconds)")
sim.parser.add_argument("--token-bytes", type=int, default=0,
                        help="pad the access tokens to about this length (Azure AD's are 1,500-2,500 bytes)")
sim.parser.add_argument("--scope", default="https://graph.microsoft.com/.default", help="the scope accepted")
sim.parser.add_argument("--unknown-tenant-status", type=int, default=400, choices=(400, 404))
sim.state.update({"issued": [], "refused": 0})

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(key, payload):
    body = b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key.encode(), ("sim." + body).encode(), hashlib.sha256).digest()
    return "sim." + body + "." + b64(mac)


def apps():
    out = {}
    for spec in sim.args.app:
        tenant, _, cred = spec.partition("=")
        client, _, rest = cred.partition(":")
        secret, _, ttl = rest.partition(":")
        out.setdefault(tenant.lower(), {})[client] = (secret, int(ttl) if ttl else None)
    return out


def aad_error(status, error, code, text):
    now = time.gmtime()
    trace = str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s"
                             % (code, text, trace, trace, time.strftime("%Y-%m-%d %H:%M:%SZ", now)),
        "error_codes": [code],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", now),
        "trace_id": trace,
        "correlation_id": trace,
    }
    with sim.lock:
        sim.state["refused"] += 1
    raise HTTPError(status, "", body=body)


@sim.route("GET", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token")
def token_get(req):
    aad_error(400, "invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a GET request.")


@sim.route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token")
def token(req):
    tenant = urllib.parse.unquote(req.params["tenant"])
    ctype = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
    form = {}
    if ctype == "application/x-www-form-urlencoded":
        form = {k: v[0] for k, v in urllib.parse.parse_qs(req.text, keep_blank_values=True).items()}
    if "grant_type" not in form:
        aad_error(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
    if not (GUID_RE.match(tenant) or DOMAIN_RE.match(tenant)):
        aad_error(400, "invalid_request", 900023,
                  "Specified tenant identifier '%s' is neither a valid DNS name, nor a valid external domain." % tenant)
    registry = apps()
    if tenant.lower() not in registry:
        aad_error(sim.args.unknown_tenant_status, "invalid_request", 90002,
                  "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the "
                  "correct cloud." % tenant)
    if form["grant_type"] != "client_credentials":
        aad_error(400, "unsupported_grant_type", 70003,
                  "The app requested an unsupported grant type '%s'." % form["grant_type"])
    client = form.get("client_id", "")
    secrets = registry[tenant.lower()]
    if client not in secrets:
        aad_error(400, "unauthorized_client", 700016,
                  "Application with identifier '%s' was not found in the directory '%s'." % (client, tenant))
    secret, app_ttl = secrets[client]
    if not hmac.compare_digest(form.get("client_secret", "").encode(), secret.encode()):
        aad_error(401, "invalid_client", 7000215, "Invalid client secret is provided.")
    if form.get("scope") != sim.args.scope:
        aad_error(400, "invalid_scope", 70011,
                  "The provided request must include a 'scope' input parameter. The provided value for the input "
                  "parameter 'scope' is not valid. The scope %s is not valid." % form.get("scope", ""))
    now = time.time()
    ttl = app_ttl if app_ttl is not None else sim.args.token_ttl
    with sim.lock:
        sim.state["issued"].append({"tid": tenant.lower(), "appid": client, "iat": now, "exp": now + ttl})
        n = len(sim.state["issued"])
    claims = {"tid": tenant.lower(), "appid": client, "iat": now, "exp": now + ttl, "n": n}
    access = make_token(sim.args.token_key, claims)
    if sim.args.token_bytes > len(access):
        # base64 grows 4/3: a filler claim of 3/4 of the missing length
        claims["pad"] = "x" * ((sim.args.token_bytes - len(access)) * 3 // 4)
        access = make_token(sim.args.token_key, claims)
    return Response(200, json.dumps({"token_type": "Bearer", "expires_in": ttl, "ext_expires_in": ttl,
                                     "access_token": access}).encode(),
                    {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}, "application/json; charset=utf-8")


@sim.route("GET", r"/_azuread/tokens")
def tokens(req):
    with req.lock:
        return {"issued": list(req.state["issued"]), "refused": req.state["refused"]}


if __name__ == "__main__":
    sys.exit(sim.main())
