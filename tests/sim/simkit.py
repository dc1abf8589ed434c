# SPDX-License-Identifier: MIT
"""simkit: the small framework every secresp vendor simulator is built on.

Python 3 standard library only.  A simulator is a ThreadingHTTPServer bound
to a loopback address on a port chosen at run time, with:

  * routes: (method, path regex) -> handler(req) with shared state + lock;
  * a JSON-lines request log (--log) and an in-memory copy;
  * fault injection, set at start (--faults FILE, --fault JSON) and at run
    time through the control endpoints under /__sim/;
  * optional HTTPS (--tls-cert/--tls-key, see mkca.sh);
  * --port-file: the chosen port, written atomically once listening;
  * a clean exit on SIGTERM/SIGINT.

See tests/sim/README.md for how to write a vendor simulator on it.
"""

import argparse
import base64
import ipaddress
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = [
    "Sim", "Request", "Response", "HTTPError",
    "json_response", "text_response", "empty_response", "error_response",
]

CONTROL_PREFIX = "/__sim/"
MAX_BODY = 64 << 20         # refuse larger uploads: a simulator is not a sink
MAX_SILENT_S = 120.0        # "silent" never waits longer than this
FAULT_KINDS = ("latency", "status", "rate_limit", "drop", "truncate", "malformed", "silent")


class HTTPError(Exception):
    """Raise from a handler to answer with an error status and JSON body."""

    def __init__(self, status, message=None, headers=None, body=None):
        super().__init__(message or "")
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.body = body


class Response:
    """What a handler returns.  body: bytes, str, or anything JSON-able."""

    def __init__(self, status=200, body=b"", headers=None, content_type=None, unsized=False):
        self.status = int(status)
        # unsized: no Content-Length, the body ends when the connection closes.
        self.unsized = unsized
        self.headers = dict(headers or {})
        if isinstance(body, (bytes, bytearray)):
            self.body = bytes(body)
        elif isinstance(body, str):
            self.body = body.encode()
            content_type = content_type or "text/plain; charset=utf-8"
        else:
            self.body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type and not any(k.lower() == "content-type" for k in self.headers):
            self.headers["Content-Type"] = content_type


def json_response(obj, status=200, headers=None):
    return Response(status, json.dumps(obj).encode(), headers, "application/json")


def text_response(text, status=200, headers=None):
    return Response(status, text.encode(), headers, "text/plain; charset=utf-8")


def empty_response(status=204, headers=None):
    return Response(status, b"", headers)


def error_response(status, message, headers=None):
    return json_response({"error": message, "status": status}, status, headers)


class Request:
    """What a handler receives.

    method, path, query (dict: name -> first value), query_all (name -> list),
    headers (case-insensitive), body (bytes), params (named regex groups of
    the route), state and lock (shared by all handlers), sim, seq (1-based
    arrival number).
    """

    def __init__(self, sim, handler, method, path, query_all, body, params, seq):
        self.sim = sim
        self.state = sim.state
        self.lock = sim.lock
        self.method = method
        self.path = path
        self.query_all = query_all
        self.query = {k: v[0] for k, v in query_all.items()}
        self.headers = handler.headers
        self.body = body
        self.params = params
        self.seq = seq
        self.client_address = handler.client_address
        # --tls-client-ca: the common name of the client's verified certificate
        self.peer_cn = _peer_cn(handler)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON; a 400 answer if it is not."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as e:
            raise HTTPError(400, "invalid JSON body: %s" % e)

    def bearer(self):
        """The token of an "Authorization: Bearer TOKEN" header, or None."""
        v = self.headers.get("Authorization", "")
        if v[:7].lower() == "bearer ":
            return v[7:].strip()
        return None

    def basic_auth(self):
        """(user, password) of an "Authorization: Basic" header, or None."""
        v = self.headers.get("Authorization", "")
        if v[:6].lower() != "basic ":
            return None
        try:
            user, _, pw = base64.b64decode(v[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, pw


class Fault:
    """One fault rule.  Selection: method/path (regex, search) filter the
    requests the rule counts; then `nth` (list of 1-based match numbers),
    or `skip` + `times` (the first `times` matches after `skip`), or every
    match when neither is given.  Control requests are never faulted."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        self.spec = dict(spec)
        self.kind = spec.get("kind")
        if self.kind not in FAULT_KINDS:
            raise ValueError("fault kind must be one of %s" % ", ".join(FAULT_KINDS))
        self.method = spec.get("method")
        self.path_re = re.compile(spec.get("path", ""))
        self.nth = set(int(n) for n in spec.get("nth", []))
        self.skip = int(spec.get("skip", 0))
        self.times = spec.get("times")
        self.status = int(spec.get("status", 429 if self.kind == "rate_limit" else 503))
        self.retry_after = spec.get("retry_after")
        self.delay_ms = float(spec.get("delay_ms", 0))
        self.headers = dict(spec.get("headers", {}))
        self.body = spec.get("body")
        self.seen = 0
        self.fired = 0

    def matches(self, method, path):
        if self.method and self.method.upper() != method:
            return False
        return bool(self.path_re.search(path))

    def select(self):
        """Counts one matching request; True if the fault applies to it."""
        self.seen += 1
        if self.nth:
            hit = self.seen in self.nth
        elif self.times is not None:
            hit = self.skip < self.seen <= self.skip + int(self.times)
        else:
            hit = self.seen > self.skip
        if hit:
            self.fired += 1
        return hit

    def describe(self):
        d = dict(self.spec)
        d["seen"] = self.seen
        d["fired"] = self.fired
        return d


def parse_faults(obj):
    """A list of fault objects, or {"faults": [...]}; raises ValueError."""
    if isinstance(obj, dict) and "faults" in obj:
        obj = obj["faults"]
    if isinstance(obj, dict):
        obj = [obj]
    if not isinstance(obj, list):
        raise ValueError("faults must be a list")
    return [Fault(f) for f in obj]


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _peer_cn(handler):
    get = getattr(handler.connection, "getpeercert", None)
    try:
        cert = get() if get else None
    except (ValueError, ssl.SSLError):
        cert = None
    for rdn in (cert or {}).get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, sim):
        self.sim = sim
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):
        # Clients that hang up or fail the TLS handshake are normal in
        # fault tests: one line, no traceback.
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, ssl.SSLError, socket.timeout, TimeoutError)):
            self.sim.debug("client %s: %s" % (client_address, e))
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, so connection caps are observable
    timeout = 60                    # an idle keep-alive client does not hold a thread forever
    server_version = "simkit"

    def log_message(self, fmt, *args):  # the JSON log replaces the access log
        pass

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise ConnectionError("EOF in chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise HTTPError(413, "body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise HTTPError(413, "body too large")
        return self.rfile.read(n) if n else b""

    def _dispatch(self):
        self.server.sim._handle(self)


class Sim:
    """A simulator.  Typical use:

        sim = Sim("vectra", "Vectra Detect simulator")
        sim.state.update(hosts={})

        @sim.route("GET", r"/api/v2\\.5/hosts/(?P<id>\\d+)")
        def get_host(req):
            with req.lock:
                host = req.state["hosts"].get(req.params["id"])
            if host is None:
                raise HTTPError(404, "no such host")
            return host            # dict/list -> 200 JSON

        sim.main()
    """

    def __init__(self, name, description=None):
        self.name = name
        self.parser = argparse.ArgumentParser(prog=name, description=description)
        self._add_common_args(self.parser)
        self.routes = []
        self.state = {}
        self.lock = threading.RLock()
        self._initial_state = None
        self._reset_hooks = []
        self._faults = []
        self._requests = []
        self._seq = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._gen = 0               # bumped by reset: older requests stop counting
        self._log_file = None
        self._stop = threading.Event()
        self.args = None
        self.server = None
        self.port = None
        self.verbose = False

    # ---- set-up -----------------------------------------------------

    @staticmethod
    def _add_common_args(p):
        g = p.add_argument_group("simkit")
        g.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
        g.add_argument("--port", type=int, default=0, help="port (default 0: chosen at run time)")
        g.add_argument("--port-file", help="write the chosen port here once listening")
        g.add_argument("--log", help="append one JSON line per request to this file")
        g.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
        g.add_argument("--tls-key", help="private key of --tls-cert")
        g.add_argument("--tls-client-ca", help="require a client certificate signed by this CA (PEM); "
                       "handlers see its common name as req.peer_cn")
        g.add_argument("--faults", help="JSON file with fault rules applied from the start")
        g.add_argument("--fault", action="append", default=[], help="one fault rule as JSON (repeatable)")
        g.add_argument("--state", help="JSON file merged into the initial state")
        g.add_argument("-v", "--verbose", action="store_true", help="debug lines on stderr")

    def route(self, method, pattern):
        """Decorator: handler(req) for `method` ("*" for any) and a path
        regex matched against the whole path (no query string)."""
        rx = re.compile(pattern)

        def deco(fn):
            self.routes.append((method.upper(), rx, fn))
            return fn
        return deco

    def on_reset(self, fn):
        """Decorator: fn(sim) runs after POST /__sim/reset restored the state."""
        self._reset_hooks.append(fn)
        return fn

    def debug(self, msg):
        if self.verbose:
            sys.stderr.write("%s: %s\n" % (self.name, msg))

    # ---- faults and log ---------------------------------------------

    def set_faults(self, faults):
        with self.lock:
            self._faults = list(faults)

    def add_faults(self, faults):
        with self.lock:
            self._faults.extend(faults)

    def requests(self):
        with self.lock:
            return list(self._requests)

    def _log(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self.lock:
            # A request that began before the last reset only goes to the file.
            if entry["gen"] == self._gen:
                self._requests.append(entry)
            if self._log_file:
                self._log_file.write(line + "\n")
                self._log_file.flush()

    def _pick_faults(self, method, path):
        """(latency_ms, fault or None) for one request."""
        latency, chosen = 0.0, None
        with self.lock:
            for f in self._faults:
                if not f.matches(method, path) or not f.select():
                    continue
                if f.kind == "latency":
                    latency += f.delay_ms
                elif chosen is None:
                    chosen = f
        return latency, chosen

    # ---- request handling ---------------------------------------------

    def _handle(self, h):
        t0 = time.time()
        raw_target = h.path
        proxied = False
        # A proxy request carries an absolute URL: serve it as if direct,
        # so a simulator can stand in for a forward proxy in tests.
        if raw_target.startswith(("http://", "https://")):
            proxied = True
            u = urllib.parse.urlsplit(raw_target)
            raw_target = urllib.parse.urlunsplit(("", "", u.path or "/", u.query, ""))
        split = urllib.parse.urlsplit(raw_target)
        path = split.path
        query_all = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        method = h.command.upper()
        control = path.startswith(CONTROL_PREFIX)

        with self.lock:
            self._seq += 1
            seq = self._seq
            gen = self._gen
            if not control:
                self._in_flight += 1
                self._max_in_flight = max(self._max_in_flight, self._in_flight)
            concurrent = self._in_flight
        entry = {
            "seq": seq, "time": t0, "method": method, "path": path, "query": query_all,
            "headers": {k.lower(): v for k, v in h.headers.items()},
            "body": "", "body_len": 0, "status": None, "fault": None,
            "concurrent": concurrent, "proxied": proxied, "sim": self.name, "gen": gen,
        }
        try:
            try:
                body = h._read_body()
            except HTTPError as e:
                h.close_connection = True
                self._send(h, entry, error_response(e.status, e.message), log=not control)
                return
            entry["body"] = body.decode("utf-8", "replace")
            entry["body_len"] = len(body)
            if control:
                # Control traffic is neither logged, counted nor faulted.
                self._send(h, entry, self._control(method, path, query_all, body), log=False)
                return
            latency, fault = self._pick_faults(method, path)
            if latency:
                entry["latency_ms"] = latency
                if self._stop.wait(latency / 1000.0):
                    h.close_connection = True
                    return
            if fault:
                entry["fault"] = fault.kind
                if self._apply_fault(h, entry, fault):
                    return
            self._send(h, entry, self._route(h, method, path, query_all, body, seq))
        finally:
            if not control:
                with self.lock:
                    if gen == self._gen:
                        self._in_flight -= 1

    def _route(self, h, method, path, query_all, body, seq):
        path_matched = False
        for m, rx, fn in self.routes:
            mo = rx.fullmatch(path)
            if not mo:
                continue
            path_matched = True
            if m not in ("*", method):
                continue
            req = Request(self, h, method, path, query_all, body, mo.groupdict(), seq)
            try:
                out = fn(req)
            except HTTPError as e:
                if e.body is not None:
                    return Response(e.status, e.body, e.headers)
                return error_response(e.status, e.message or "error", e.headers)
            except Exception:
                traceback.print_exc()
                return error_response(500, "simulator handler failed")
            return self._coerce(out)
        if path_matched:
            return error_response(405, "method not allowed")
        return error_response(404, "no route for %s %s" % (method, path))

    @staticmethod
    def _coerce(out):
        if out is None:
            return empty_response()
        if isinstance(out, Response):
            return out
        if isinstance(out, tuple):
            status, body = out[0], out[1]
            headers = out[2] if len(out) > 2 else None
            return body if isinstance(body, Response) else Response(status, body, headers)
        return Response(200, out)

    def _send(self, h, entry, resp, log=True):
        entry["status"] = resp.status
        entry["end"] = time.time()
        entry["duration_ms"] = round((entry["end"] - entry["time"]) * 1000.0, 3)
        # Logged before the answer leaves: a client that saw the answer
        # always finds its request in the log.
        if log:
            self._log(entry)
        h.send_response(resp.status)
        for k, v in resp.headers.items():
            h.send_header(k, str(v))
        if resp.unsized:
            h.close_connection = True
        else:
            h.send_header("Content-Length", str(len(resp.body)))
        if h.close_connection:
            h.send_header("Connection", "close")
        h.end_headers()
        if h.command != "HEAD" and resp.body:
            h.wfile.write(resp.body)
        h.wfile.flush()

    def _apply_fault(self, h, entry, f):
        """Returns True when the fault answered (or refused to)."""
        extra = dict(f.headers)
        if f.kind in ("status", "rate_limit"):
            if f.retry_after is not None:
                extra["Retry-After"] = str(f.retry_after)
            body = f.body if f.body is not None else {"error": "injected fault", "status": f.status}
            self._send(h, entry, Response(f.status, body, extra))
            return True
        if f.kind == "malformed":
            body = f.body if f.body is not None else '{"data": [1, 2, {"trunc'
            self._send(h, entry, Response(200, body.encode(), extra, "application/json"))
            return True
        if f.kind == "drop":
            entry["end"] = time.time()
            self._log(entry)
            h.close_connection = True
            self._hard_close(h)
            return True
        if f.kind == "truncate":
            body = (f.body or '{"data": "' + "x" * 64 + '"}').encode()
            entry["status"] = 200
            entry["end"] = time.time()
            self._log(entry)
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body) * 2))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
            h.close_connection = True
            return True
        if f.kind == "silent":
            # Never answer; give up at delay_ms (or MAX_SILENT_S) or on SIGTERM.
            entry["end"] = time.time()
            self._log(entry)
            wait = f.delay_ms / 1000.0 if f.delay_ms else MAX_SILENT_S
            self._stop.wait(min(wait, MAX_SILENT_S))
            h.close_connection = True
            return True
        return False

    @staticmethod
    def _hard_close(h):
        try:
            h.wfile.flush()
        except OSError:
            pass
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- control endpoints ------------------------------------------

    def _control(self, method, path, query_all, body):
        what = path[len(CONTROL_PREFIX):].strip("/")
        try:
            if what == "health" and method == "GET":
                return json_response({"ok": True, "sim": self.name, "port": self.port})
            if what == "requests" and method == "GET":
                reqs = self.requests()
                for key in ("path", "method"):
                    if key in query_all:
                        reqs = [r for r in reqs if r[key] == query_all[key][0]]
                if "path_re" in query_all:
                    rx = re.compile(query_all["path_re"][0])
                    reqs = [r for r in reqs if rx.search(r["path"])]
                return json_response(reqs)
            if what == "requests" and method == "DELETE":
                with self.lock:
                    self._requests.clear()
                return json_response({"ok": True})
            if what == "faults" and method == "GET":
                with self.lock:
                    return json_response([f.describe() for f in self._faults])
            if what == "faults" and method in ("POST", "PUT"):
                faults = parse_faults(json.loads(body or b"[]"))
                if method == "PUT" or query_all.get("replace", ["1"])[0] not in ("0", "false"):
                    self.set_faults(faults)
                else:
                    self.add_faults(faults)
                return json_response({"ok": True, "faults": len(faults)})
            if what == "faults" and method == "DELETE":
                self.set_faults([])
                return json_response({"ok": True})
            if what == "stats" and method == "GET":
                with self.lock:
                    return json_response({"requests": len(self._requests), "in_flight": self._in_flight,
                                          "max_in_flight": self._max_in_flight})
            if what == "state" and method == "GET":
                with self.lock:
                    return Response(200, json.dumps(self.state, default=repr).encode(), None,
                                    "application/json")
            if what == "reset" and method == "POST":
                self.reset()
                return json_response({"ok": True})
        except ValueError as e:
            return error_response(400, str(e))
        return error_response(404, "unknown control endpoint %s %s" % (method, path))

    def reset(self):
        """Back to the initial state: no requests, no faults, fresh stats."""
        with self.lock:
            self._requests.clear()
            self._faults = list(self._initial_faults)
            for f in self._faults:
                f.seen = f.fired = 0
            # Requests still being served belong to the past: not counted.
            self._gen += 1
            self._in_flight = 0
            self._max_in_flight = 0
            self.state.clear()
            self.state.update(json.loads(self._initial_state))
            for fn in self._reset_hooks:
                fn(self)

    # ---- running ----------------------------------------------------

    def main(self, argv=None):
        """Parses the command line, serves until SIGTERM/SIGINT, returns 0."""
        args = self.args = self.parser.parse_args(argv)
        self.verbose = args.verbose
        if not _is_loopback(args.host):
            self.parser.error("--host must be a loopback address")
        if bool(args.tls_cert) != bool(args.tls_key):
            self.parser.error("--tls-cert and --tls-key go together")

        faults = []
        try:
            if args.faults:
                with open(args.faults) as fp:
                    faults += parse_faults(json.load(fp))
            for spec in args.fault:
                faults += parse_faults(json.loads(spec))
        except (OSError, ValueError) as e:
            self.parser.error("bad fault rules: %s" % e)
        self._initial_faults = [Fault(f.spec) for f in faults]
        self._faults = faults
        if args.state:
            with open(args.state) as fp:
                self.state.update(json.load(fp))
        # The initial state as JSON, so reset restores a deep copy.
        self._initial_state = json.dumps(self.state)

        if args.log:
            self._log_file = open(args.log, "a", buffering=1)

        self.server = _Server((args.host, args.port), _Handler, self)
        if args.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            if args.tls_client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(args.tls_client_ca)
            # Handshake in the connection's thread, not in accept().
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self.port = self.server.server_address[1]

        if args.port_file:
            tmp = args.port_file + ".tmp"
            with open(tmp, "w") as fp:
                fp.write("%d\n" % self.port)
            os.rename(tmp, args.port_file)

        def on_signal(signum, frame):
            self._stop.set()
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

        t = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()
        self.debug("listening on %s:%d%s" % (args.host, self.port, " (TLS)" if args.tls_cert else ""))
        while not self._stop.wait(1.0):
            pass
        self.server.shutdown()
        self.server.server_close()
        t.join(5)
        if self._log_file:
            self._log_file.close()
        return 0
