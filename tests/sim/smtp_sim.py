#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small SMTP server and syslog receiver for the summary tests.

SMTP (RFC 5321 subset): EHLO/HELO, AUTH PLAIN and LOGIN (checked against
--user/--password when given), MAIL FROM, RCPT TO, DATA (dot-unstuffed),
RSET, NOOP, QUIT; STARTTLS is not offered, so "try" sends in clear text and
"starttls" must fail.  Every accepted message is appended to --mail-log as
one JSON line {"from", "to", "auth", "data"}.  --fail-data CODE refuses
every DATA with that code.

Syslog: --syslog-tcp and --syslog-udp receive frames (NUL-terminated on
TCP, one datagram each on UDP) into --syslog-log, one JSON line each
{"proto", "frame"} with the frame as text and "nul" true when it ended
with a NUL.  Ports are chosen by the system and written, as "name port"
lines, to --port-file.  Loopback only.
"""
import argparse
import base64
import json
import socket
import socketserver
import sys
import threading

lock = threading.Lock()


def append(path, obj):
    with lock, open(path, "a") as f:
        f.write(json.dumps(obj, sort_keys=True) + "\n")


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        a = self.server.args
        self.reply("220 smtp-sim ready")
        mail_from, rcpt, auth = None, [], None
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            arg = cmd[len(verb):].strip()
            if verb == "EHLO":
                self.reply("250-smtp-sim")
                self.reply("250-AUTH PLAIN LOGIN")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 smtp-sim")
            elif verb == "AUTH":
                parts = arg.split(" ")
                mech = parts[0].upper()
                if mech == "PLAIN":
                    if len(parts) > 1:
                        blob = parts[1]
                    else:
                        self.reply("334 ")
                        blob = self.rfile.readline(4096).decode().strip()
                    try:
                        _, user, pw = base64.b64decode(blob).decode().split("\0")
                    except Exception:
                        self.reply("501 bad AUTH PLAIN")
                        continue
                elif mech == "LOGIN":
                    if len(parts) > 1:
                        user = base64.b64decode(parts[1]).decode()
                    else:
                        self.reply("334 VXNlcm5hbWU6")
                        user = base64.b64decode(self.rfile.readline(4096).strip()).decode()
                    self.reply("334 UGFzc3dvcmQ6")
                    pw = base64.b64decode(self.rfile.readline(4096).strip()).decode()
                else:
                    self.reply("504 unknown mechanism")
                    continue
                if a.user and (user != a.user or pw != a.password):
                    self.reply("535 5.7.8 authentication failed")
                    continue
                auth = user
                self.reply("235 2.7.0 authenticated")
            elif verb == "MAIL":
                if a.user and not auth:
                    self.reply("530 5.7.0 authentication required")
                    continue
                mail_from, rcpt = arg.split(":", 1)[1].strip().strip("<>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpt.append(arg.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                if a.fail_data:
                    self.reply("%d refused by the simulator" % a.fail_data)
                    continue
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while True:
                    l = self.rfile.readline(65536)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    data.append(l.decode("utf-8", "replace"))
                append(a.mail_log, {"from": mail_from, "to": rcpt, "auth": auth, "data": "".join(data)})
                self.reply("250 queued")
            elif verb == "RSET":
                mail_from, rcpt = None, []
                self.reply("250 ok")
            elif verb == "NOOP":
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SyslogTCP(socketserver.StreamRequestHandler):
    def handle(self):
        buf = b""
        while True:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                frame, buf = buf.split(b"\0", 1)
                append(self.server.args.syslog_log, {"proto": "tcp", "frame": frame.decode("utf-8", "replace"),
                                                     "nul": True})
        if buf:
            append(self.server.args.syslog_log, {"proto": "tcp", "frame": buf.decode("utf-8", "replace"),
                                                 "nul": False})


class SyslogUDP(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request[0]
        nul = data.endswith(b"\0")
        append(self.server.args.syslog_log, {"proto": "udp", "frame": data.rstrip(b"\0").decode("utf-8", "replace"),
                                             "nul": nul})


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--mail-log")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--fail-data", type=int, default=0)
    p.add_argument("--syslog-log")
    args = p.parse_args()
    servers, ports = [], []
    if args.mail_log:
        s = TCPServer(("127.0.0.1", 0), SMTPHandler)
        servers.append(s)
        ports.append("smtp %d" % s.server_address[1])
    if args.syslog_log:
        t = TCPServer(("127.0.0.1", 0), SyslogTCP)
        u = socketserver.ThreadingUDPServer(("127.0.0.1", 0), SyslogUDP)
        servers += [t, u]
        ports += ["syslog-tcp %d" % t.server_address[1], "syslog-udp %d" % u.server_address[1]]
    for s in servers:
        s.args = args
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("\n".join(ports) + "\n")
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
