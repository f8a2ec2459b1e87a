#!/usr/bin/python3
"""Tiny QMP client (stdlib only).

    qmp.py SOCKET COMMAND [JSON-ARGUMENTS]

e.g.  qmp.py /tmp/q.sock screendump '{"filename": "/tmp/x.png", "format": "png"}'
      qmp.py /tmp/q.sock quit

Connects to QEMU's QMP unix socket (retrying for a few seconds while QEMU
starts), negotiates capabilities, runs COMMAND and prints its "return" value
as JSON.  Exits 1 with the error on stderr when QEMU answers with an error.
"""
import json
import socket
import sys
import time


def connect(path, wait=10.0):
    deadline = time.monotonic() + wait
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class QMP:
    def __init__(self, path, timeout=60.0):
        self.sock = connect(path)
        self.sock.settimeout(timeout)
        self.rfile = self.sock.makefile("r", encoding="utf-8")
        greeting = self.read()
        if "QMP" not in greeting:
            raise RuntimeError(f"not a QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def read(self):
        line = self.rfile.readline()
        if not line:
            raise EOFError("QMP connection closed")
        return json.loads(line)

    def execute(self, cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self.read()
            if "event" in reply:        # asynchronous events: skip
                continue
            if "error" in reply:
                raise RuntimeError(f"{cmd}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__.strip())
    args = json.loads(argv[3]) if len(argv) == 4 else None
    try:
        ret = QMP(argv[1]).execute(argv[2], args)
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        sys.exit(f"qmp.py: {e}")
    print(json.dumps(ret))


if __name__ == "__main__":
    main(sys.argv)
