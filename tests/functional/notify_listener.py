#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A real NOTIFY_SOCKET for the functional tests.

    notify_listener.py SOCKPATH OUTFILE

Binds an AF_UNIX SOCK_DGRAM socket at SOCKPATH (what systemd does for a
Type=notify service) and appends every datagram it receives to OUTFILE:

    _PID=<sender pid from SCM_CREDENTIALS>
    _UID=<sender uid>
    KEY=VALUE          one line per line of the datagram
    ...
    <blank line>       end of the datagram

Each datagram is written with one write() and flushed, so a reader that only
trusts blank-line-terminated blocks never sees half a datagram.  File
descriptors passed along (FDSTORE=1) are closed.  Exits on SIGTERM/SIGINT.
Standard library only.
"""
import array
import os
import signal
import socket
import struct
import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: notify_listener.py SOCKPATH OUTFILE\n")
        return 2
    path, outfile = sys.argv[1], sys.argv[2]

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    out = open(outfile, "a", encoding="utf-8")
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    # Big enough for anything sd_notify sends; systemd itself uses a page+.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(path)
    # The daemon may drop privileges; systemd's socket is writable by anyone.
    os.chmod(path, 0o666)

    ucred = struct.Struct("iII")
    anc_size = socket.CMSG_SPACE(ucred.size) + socket.CMSG_SPACE(253 * 4)
    try:
        while True:
            data, anc, _flags, _addr = s.recvmsg(65536, anc_size)
            pid, uid = -1, -1
            for level, typ, payload in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid, uid, _gid = ucred.unpack(payload[:ucred.size])
                elif level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds = array.array("i")
                    fds.frombytes(payload[: len(payload) - len(payload) % 4])
                    for fd in fds:
                        os.close(fd)
            lines = [l for l in data.decode("utf-8", "replace").split("\n") if l]
            block = "_PID=%d\n_UID=%d\n" % (pid, uid)
            block += "".join(l + "\n" for l in lines)
            block += "\n"
            out.write(block)
            out.flush()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
